"""Label noise found by cleanlab in the out-of-fold probabilities of the one gap pass.

:func:`label_noise` fits nothing: it reads the out-of-fold probabilities that
:func:`gapgates.compute.crossval.gap` already kept (``GapResult.cv``) and hands them to
``cleanlab.filter.find_label_issues`` (which rows), ``cleanlab.rank`` (how bad)
and ``cleanlab.count`` (the estimated noise matrix per class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.crossval import CrossValidation
from gapgates.compute.noise_adjusted import NoiseAdjustedGap
from gapgates.data.guard import output_problem, output_problems, unwrap
from gapgates.format import plain

__all__ = ["ConfidentErrors", "LabelIssue", "NoiseResult", "confident_errors", "contradictions", "label_noise"]

#: Share of rows, those the model is surest of, in which :func:`confident_errors` counts contradictions.
CONFIDENT_SHARE = 0.3
#: Fewer contradicted surest rows than this give a ratio of 0: too few to tell flips from chance.
MIN_CONFIDENT_ERRORS = 3


@dataclass(frozen=True)
class LabelIssue:
    """One row whose given label cleanlab doubts.

    Attributes:
        row: 0-based position of the row in the ``--data`` file.
        given: The label in the data.
        suggested: The label the out-of-fold model finds most likely.
        quality: cleanlab label-quality score in [0, 1]; lower is worse.
    """

    row: int
    given: Any
    suggested: Any
    quality: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "row": self.row,
            "given": plain(self.given),
            "suggested": plain(self.suggested),
            "quality": round(float(self.quality), 6),
        }


@dataclass(frozen=True)
class ConfidentErrors:
    """Where the given labels contradict the model: among the rows it is surest of, or anywhere.

    Random label flips do not depend on the features: a flipped row is as likely among the rows the
    out-of-fold model is surest of as anywhere else, so the contradictions there are about as frequent
    as over the whole table. On clean data, even hard data with a high Bayes error, the errors gather
    where the model hesitates, and its surest rows are rarely contradicted.

    Attributes:
        rows: Rows judged.
        confident_rows: Rows in the surest share (ties at its edge counted by weight).
        confident_rate: Share of those whose given label is not the model's most likely class
            (cleanlab's ``predicted_neq_given`` among the surest rows).
        error_rate: That share over all rows.
        ratio: ``confident_rate / error_rate`` (0.0 when fewer than :data:`MIN_CONFIDENT_ERRORS` of the
            surest rows are contradicted), or None when the
            probabilities do not rank the rows (most rows tie at the top: an unbounded tree, 1-NN).
    """

    rows: int
    confident_rows: int
    confident_rate: float | None
    error_rate: float
    ratio: float | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        rnd = lambda v: None if v is None else round(float(v), 6)  # noqa: E731
        return {
            "rows": self.rows,
            "confident_rows": self.confident_rows,
            "confident_rate": rnd(self.confident_rate),
            "error_rate": rnd(self.error_rate),
            "ratio": rnd(self.ratio),
        }


def confident_errors(labels: np.ndarray, proba: np.ndarray, *, share: float = CONFIDENT_SHARE) -> ConfidentErrors:
    """How often the given labels contradict the model among the ``share`` of rows it is surest of, against overall.

    Args:
        labels: Given labels as column indices of ``proba``.
        proba: Out-of-fold probabilities, one row per label.
        share: The share of rows, by the model's largest probability, taken as its surest.

    Returns:
        The two contradiction rates and their ratio (None when more than ``max(2 × share, 0.6)`` of the
        rows tie at the edge of the surest share: the probabilities do not rank them).

    Example:
        >>> import numpy as np
        >>> proba = np.array([[0.99, 0.01], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
        >>> confident_errors(np.array([0, 0, 1, 1]), proba, share=0.5).ratio
        0.0
    """
    return contradictions(proba.max(axis=1), np.argmax(proba, axis=1) != labels, share=share)


def contradictions(conf: np.ndarray, wrong: np.ndarray, *, share: float = CONFIDENT_SHARE) -> ConfidentErrors:
    """:func:`confident_errors` from each row's largest probability and whether its given label is not the most likely
    class (what a probability table reduces to, without one).

    Args:
        conf: Each row's largest out-of-fold probability.
        wrong: Whether its given label is not its most likely class.
        share: The share of rows, by ``conf``, taken as the surest.

    Returns:
        As :func:`confident_errors`.
    """
    n = int(np.asarray(wrong).size)
    error = float(wrong.mean()) if n else 0.0
    k = max(1, round(share * n))
    if n == 0:
        return ConfidentErrors(rows=0, confident_rows=0, confident_rate=None, error_rate=0.0, ratio=None)
    edge = np.sort(conf)[::-1][k - 1]
    above, at = conf > edge, conf == edge
    if above.sum() + at.sum() > max(2 * k, 0.6 * n):
        return ConfidentErrors(rows=n, confident_rows=k, confident_rate=None, error_rate=error, ratio=None)
    weight = above.astype(float)
    weight[at] = (k - above.sum()) / at.sum()  # the tied rows at the edge share the remaining places
    rate = float(np.sum(weight * wrong) / k)
    ratio = rate / error if rate * k >= MIN_CONFIDENT_ERRORS else 0.0
    return ConfidentErrors(rows=n, confident_rows=k, confident_rate=rate, error_rate=error, ratio=ratio)


@dataclass(frozen=True, eq=False)
class NoiseResult:
    """Label issues of one run, or why they were not looked for.

    Attributes:
        rows: Rows judged (those with out-of-fold probabilities).
        n_issues: Rows flagged as label issues.
        rate: ``n_issues / rows``.
        per_class: ``{label: {"rows", "issues", "rate", "estimated_noise"}}``: the flagged
            share among rows given that label, and cleanlab's estimate of the share of rows
            truly of that class that carry another label (``1 − noise_matrix[c, c]``).
        issues: The flagged rows, worst (lowest quality) first.
        filter_by: The ``find_label_issues`` method used.
        positions: Positions of the flagged rows in the ``X`` passed (not the file row).
        skipped: Why nothing was computed (no ``predict_proba``, regression), else None.
        adjusted: The noise-adjusted gap, once computed (see :mod:`gapgates.compute.noise_adjusted`).
        confident: Contradictions among the model's surest rows against overall (:func:`confident_errors`).
    """

    rows: int
    n_issues: int
    rate: float | None
    per_class: dict[str, dict[str, float]]
    issues: tuple[LabelIssue, ...]
    filter_by: str
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    skipped: str | None = None
    adjusted: NoiseAdjustedGap | None = None
    confident: ConfidentErrors | None = None

    @property
    def max_class_rate(self) -> float | None:
        """The largest flagged share within one given label."""
        rates = [c["rate"] for c in self.per_class.values()]
        return max(rates) if rates else None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``noise`` section."""
        return {
            "rate": self.rate,
            "n_issues": self.n_issues,
            "rows": self.rows,
            "filter_by": self.filter_by,
            "per_class": self.per_class,
            "issues": [i.to_dict() for i in self.issues],
            "skipped": self.skipped,
            "confident": None if self.confident is None else self.confident.to_dict(),
        }


def _skip_reason(cv: CrossValidation) -> str:
    from sklearn.base import is_classifier

    if not cv.estimators:
        return "There are no fold models with out-of-fold probabilities, so labels are not judged."
    model = unwrap(cv.estimators[0])
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    name = type(final).__name__
    if not is_classifier(model):
        return (
            f"Label noise is checked for classification only; {name} is a regressor "
            "(cleanlab's regression tools would refit the model, which the gate avoids)."
        )
    return (
        f"{name} has no predict_proba, so there are no out-of-fold probabilities to judge labels with. "
        "Use a probabilistic model (e.g. SVC(probability=True)) to check label noise."
    )


def _skipped(reason: str, filter_by: str) -> NoiseResult:
    return NoiseResult(rows=0, n_issues=0, rate=None, per_class={}, issues=(), filter_by=filter_by, skipped=reason)


def label_noise(
    cv: CrossValidation,
    y: pd.Series | Sequence[Any] | np.ndarray,
    *,
    filter_by: str = "prune_by_noise_rate",
    row_ids: Sequence[int] | np.ndarray | None = None,
    confident_share: float = CONFIDENT_SHARE,
) -> NoiseResult:
    """Flag label issues from the out-of-fold probabilities of the gap pass; fit nothing.

    Args:
        cv: ``GapResult.cv`` of the pass (its ``oof_proba``, ``classes`` and ``covered``).
        y: The labels the models were trained on, in the same row order.
        filter_by: cleanlab ``find_label_issues`` method.
        row_ids: File row of each position; default ``y.index`` for a Series, else positions.
        confident_share: Share of rows the model is surest of, for :func:`confident_errors`.

    Returns:
        The issues, or a result with ``skipped`` set when the model has no
        ``predict_proba`` (or the task is regression).

    Raises:
        ValueError: When the fold models' outputs are invalid (NaN, outside [0, 1], rows not
            summing to 1, a wrong shape): cleanlab never runs on them.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from gapgates.compute.crossval import gap
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> result = label_noise(gap(LogisticRegression(max_iter=500), X, y).cv, y)
        >>> result.rate < 0.1
        True
    """
    from cleanlab.count import estimate_py_and_noise_matrices_from_probabilities
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    if cv.oof_proba is None or cv.classes is None:
        return _skipped(_skip_reason(cv), filter_by)
    labels_raw = np.asarray(y)
    ids = np.asarray(row_ids if row_ids is not None else (y.index if isinstance(y, pd.Series) else np.arange(len(y))))
    classes = cv.classes
    col = np.searchsorted(classes, labels_raw)
    known = (col < classes.size) & (classes[np.minimum(col, classes.size - 1)] == labels_raw)
    judged = np.flatnonzero(cv.covered & known)
    labels, proba = col[judged], cv.oof_proba[judged]
    invalid = output_problems(cv.estimators)
    problem = (
        invalid[0]
        if invalid
        else output_problem("predict_proba", proba, rows=judged.size, classification=True, n_classes=classes.size)
    )
    if problem is not None:  # cleanlab never runs on invalid probabilities
        raise ValueError(f"the model's outputs are invalid ({problem}), so labels are not judged on them")
    flagged = find_label_issues(labels, proba, filter_by=filter_by, n_jobs=1)
    quality = get_label_quality_scores(labels, proba)
    _, noise_matrix, _, _ = estimate_py_and_noise_matrices_from_probabilities(labels, proba)
    order = np.flatnonzero(flagged)
    order = order[np.argsort(quality[order], kind="stable")]
    suggested = np.argmax(proba, axis=1)
    issues = tuple(
        LabelIssue(
            row=int(ids[judged[i]]), given=labels_raw[judged[i]], suggested=classes[suggested[i]], quality=float(quality[i])
        )
        for i in order
    )
    per_class: dict[str, dict[str, float]] = {}
    for k, label in enumerate(classes):
        mask = labels == k
        n_k, bad_k = int(mask.sum()), int(flagged[mask].sum())
        per_class[str(plain(label))] = {
            "rows": n_k,
            "issues": bad_k,
            "rate": bad_k / n_k if n_k else 0.0,
            "estimated_noise": round(float(1.0 - noise_matrix[k, k]), 6),
        }
    return NoiseResult(
        rows=int(judged.size),
        n_issues=int(order.size),
        rate=order.size / judged.size if judged.size else 0.0,
        per_class=per_class,
        issues=issues,
        filter_by=filter_by,
        positions=np.sort(judged[order]),
        confident=confident_errors(labels, proba, share=confident_share),
    )
