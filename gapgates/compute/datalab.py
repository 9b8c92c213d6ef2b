"""Training-data issues found by cleanlab's ``Datalab`` on the out-of-fold probabilities of the one gap pass.

:func:`data_issues` hands the training rows, their labels, the out-of-fold probabilities kept by
:func:`gapgates.compute.crossval.gap` (classification) and a numeric view of the features
(:func:`feature_matrix`) to ``cleanlab.Datalab.find_issues`` with the issue types
``near_duplicate``, ``outlier`` and (classification) ``class_imbalance``; the ``label`` type is left
out, as :mod:`gapgates.compute.noise` already judges label noise. Nothing is fit again. With features
given, these three types read only the features and the labels (Datalab's outlier check falls back
to the probabilities only without features), so the audit does not change with the model.

From Datalab's own results it reads: the issue summary (rows flagged and score per type), the
**exact duplicates** (rows whose nearest neighbour in Datalab's k-NN graph is at distance 0), and the
**conflicting labels** (exact duplicates of a row with another label). Datalab's cost grows with the
rows (a k-NN graph): above ``max_rows`` rows (default :data:`MAX_ROWS`) it audits a random sample of
that many, drawn with the run's seed, and says so (``sampled``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.crossval import CrossValidation

__all__ = ["DATALAB_ISSUE_TYPES", "MAX_ROWS", "DataIssues", "data_issues", "feature_matrix"]

#: Most rows Datalab audits; a larger table is sampled.
MAX_ROWS = 5_000
#: The issue types asked of Datalab, by task.
DATALAB_ISSUE_TYPES = {
    "classification": ("near_duplicate", "outlier", "class_imbalance"),
    "regression": ("near_duplicate", "outlier"),
}
#: Most example rows reported per issue.
MAX_EXAMPLES = 10
#: Megabytes of pairwise distances the k-NN search computes at once (scikit-learn's ``working_memory``; its default,
#: 1 GiB, lets a 5,000-row sample take about 450 MB at once).
WORKING_MEMORY_MB = 64
#: Most values of one categorical column one-hot encoded in the feature matrix, and most columns in it.
MAX_VALUES, MAX_FEATURES = 20, 256


def feature_matrix(X: pd.DataFrame) -> np.ndarray:
    """The numeric view of the features Datalab's k-NN graph is built on.

    Numeric columns are standardised (missing values → 0, the mean); every other column becomes one
    0/1 column per frequent value (at most :data:`MAX_VALUES`), so exact copies stay at distance 0.
    At most :data:`MAX_FEATURES` columns, in table order (the memory of a wide table stays bounded).

    Example:
        >>> feature_matrix(pd.DataFrame({"x": [1.0, 3.0], "c": ["a", "b"]})).shape
        (2, 3)
    """
    parts: list[np.ndarray] = []
    for column in X.columns:
        if len(parts) >= MAX_FEATURES:
            break
        values = X[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.to_numpy(dtype=float)
            finite = numbers[np.isfinite(numbers)]
            centre, scale = (finite.mean(), finite.std()) if finite.size else (0.0, 1.0)
            parts.append(np.nan_to_num((numbers - centre) / (scale or 1.0), nan=0.0, posinf=0.0, neginf=0.0))
        else:
            for value in values.astype("object").value_counts(dropna=True).index[:MAX_VALUES]:
                parts.append((values == value).to_numpy(dtype=float))
    return np.column_stack(parts[:MAX_FEATURES]) if parts else np.zeros((len(X), 1))


@dataclass(frozen=True)
class DataIssues:
    """What Datalab found in the training rows.

    Attributes:
        rows: Rows audited.
        total_rows: Training rows with an out-of-fold prediction (more than ``rows`` when sampled).
        sampled: Whether a random sample of ``rows`` rows was audited.
        issue_types: The issue types asked of Datalab.
        summary: Per issue type: ``{"issues": rows flagged, "rate": share, "score": Datalab's score}``.
        exact_duplicates: Rows with an exact copy among the audited rows.
        conflicting_labels: Rows with an exact copy that carries another label (classification).
        examples: Per issue: up to :data:`MAX_EXAMPLES` data-file rows, worst first.
        seconds: Wall time of ``find_issues``.
    """

    rows: int
    total_rows: int
    sampled: bool
    issue_types: tuple[str, ...]
    summary: dict[str, dict[str, float | None]]
    exact_duplicates: int
    conflicting_labels: int | None
    examples: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0

    def rate(self, issue: str) -> float | None:
        """Share of audited rows with an issue: ``near_duplicate``, ``outlier``, ``class_imbalance``,
        ``exact_duplicate`` or ``conflicting_label`` (None when it was not looked for)."""
        if not self.rows:
            return None
        if issue == "exact_duplicate":
            return self.exact_duplicates / self.rows
        if issue == "conflicting_label":
            return None if self.conflicting_labels is None else self.conflicting_labels / self.rows
        found = self.summary.get(issue)
        return None if found is None else found["rate"]

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""
        return {
            "rows": self.rows,
            "total_rows": self.total_rows,
            "sampled": self.sampled,
            "issue_types": list(self.issue_types),
            "summary": self.summary,
            "exact_duplicates": self.exact_duplicates,
            "conflicting_labels": self.conflicting_labels,
            "examples": self.examples,
            "seconds": round(self.seconds, 3),
        }


def _exact(lab: Any, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Per row: has an exact copy, and has an exact copy with another label, from Datalab's k-NN graph."""
    graph = lab.get_info("statistics")["weighted_knn_graph"].tocsr()
    rows = np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))
    at_zero = graph.data == 0  # a stored 0 is an exact copy (sparse graphs keep explicit zeros for them)
    copy = np.zeros(graph.shape[0], dtype=bool)
    copy[rows[at_zero]] = True
    copy[graph.indices[at_zero]] = True
    if labels is None:
        return copy, None
    differs = at_zero & (labels[rows] != labels[graph.indices])
    conflict = np.zeros(graph.shape[0], dtype=bool)
    conflict[rows[differs]] = True
    conflict[graph.indices[differs]] = True
    return copy, conflict


def data_issues(
    cv: CrossValidation,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    classification: bool,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> DataIssues:
    """Ask cleanlab's Datalab for duplicates, near duplicates, outliers and class imbalance in the training rows.

    Args:
        cv: The cross-validation pass (its out-of-fold probabilities and which rows they cover).
        X: The training features (the index: 0-based rows of the data file).
        y: The training target.
        classification: Pass the probabilities and look for class imbalance (True), or audit as regression.
        max_rows: Audit a random sample of this many rows when there are more.
        seed: Seed of the sample.

    Returns:
        The issues found.

    Example:
        >>> data_issues(gap_result.cv, X, y, classification=True).exact_duplicates  # doctest: +SKIP
        12
    """
    import time

    from cleanlab import Datalab
    from sklearn import config_context

    covered = np.flatnonzero(np.asarray(cv.covered, dtype=bool))
    total = len(covered)
    positions = covered
    if total > max_rows:
        positions = np.sort(np.random.default_rng(seed).choice(covered, max_rows, replace=False))
    features = feature_matrix(X.iloc[positions])
    task = "classification" if classification else "regression"
    types = DATALAB_ISSUE_TYPES[task]
    labels = np.asarray(y)[positions]
    kwargs: dict[str, Any] = {"features": features, "issue_types": {name: {} for name in types}}
    if classification and cv.oof_proba is not None and cv.classes is not None:
        kwargs["pred_probs"] = np.asarray(cv.oof_proba)[positions]
        label_ids: np.ndarray | None = np.searchsorted(np.asarray(cv.classes), labels)
    else:
        label_ids = pd.factorize(labels, sort=True)[0] if classification else None
    frame = pd.DataFrame({"label": label_ids if classification else labels.astype(float)})
    started = time.perf_counter()
    lab = Datalab(frame, task=task, label_name="label", verbosity=0)
    with config_context(working_memory=WORKING_MEMORY_MB):  # the k-NN search's distance chunks, not one 5k × 5k block
        lab.find_issues(**kwargs)
    seconds = time.perf_counter() - started
    found = lab.get_issue_summary()
    issues = lab.get_issues()
    summary: dict[str, dict[str, float | None]] = {}
    examples: dict[str, list[int]] = {}
    file_rows = np.asarray(X.index)[positions]
    for _, row in found.iterrows():
        name = str(row["issue_type"])
        count = int(row["num_issues"])
        summary[name] = {
            "issues": count,
            "rate": round(count / max(len(positions), 1), 6),
            "score": None if not math.isfinite(float(row["score"])) else round(float(row["score"]), 6),
        }
        flagged = issues[f"is_{name}_issue"].to_numpy(dtype=bool) if f"is_{name}_issue" in issues else np.zeros(0)
        if flagged.any():
            order = np.argsort(issues[f"{name}_score"].to_numpy()[flagged], kind="stable")[:MAX_EXAMPLES]
            examples[name] = [int(r) for r in file_rows[flagged][order]]
    copy, conflict = _exact(lab, np.asarray(label_ids) if classification else None)
    if copy.any():
        examples["exact_duplicate"] = [int(r) for r in file_rows[copy][:MAX_EXAMPLES]]
    if conflict is not None and conflict.any():
        examples["conflicting_label"] = [int(r) for r in file_rows[conflict][:MAX_EXAMPLES]]
    return DataIssues(
        rows=len(positions),
        total_rows=total,
        sampled=len(positions) < total,
        issue_types=types,
        summary=summary,
        exact_duplicates=int(copy.sum()),
        conflicting_labels=None if conflict is None else int(conflict.sum()),
        examples=examples,
        seconds=seconds,
    )
