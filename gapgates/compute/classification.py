"""How the model errs, from the out-of-fold predictions of the one gap pass (no fit).

Classification (:func:`classification_evidence`): the confusion matrix, per-class precision, recall,
F1 and support, ROC and precision–recall curves (one-vs-rest for more than two classes), the
reliability curve and the expected calibration error (ECE), all with scikit-learn's metrics and
``sklearn.calibration.calibration_curve`` on ``GapResult.cv.oof_proba``.

The ECE is the row-weighted mean of ``|observed frequency − mean predicted probability|`` over
:data:`ECE_BINS` equal-width bins: of the positive class's probability for two classes, of the
top-label confidence (is the predicted class right?) for more. Without ``predict_proba`` only the
confusion matrix and the per-class scores are given, and the ECE is None.

Regression (:func:`regression_evidence`): residuals against predictions (a sample of
:data:`MAX_POINTS` rows) and the mean absolute error within each quantile bin of the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gapgates.compute.crossval import CrossValidation
from gapgates.format import plain

__all__ = [
    "ECE_BINS",
    "ClassificationEvidence",
    "RegressionEvidence",
    "classification_evidence",
    "expected_calibration_error",
    "regression_evidence",
]

#: Equal-width bins of the reliability curve and the ECE.
ECE_BINS = 10
#: Most points kept per curve (ROC, precision–recall) and residual plot.
MAX_POINTS = 200
#: Most classes given curves (the largest by support).
MAX_CURVE_CLASSES = 10


def _round(values: Any) -> list[float]:
    return [round(float(v), 6) for v in values]


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    """At most :data:`MAX_POINTS` evenly spaced points of aligned arrays (the first and last kept)."""
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, MAX_POINTS).astype(int)) if n > MAX_POINTS else np.arange(n)
    return [_round(np.asarray(a)[keep]) for a in arrays]


def expected_calibration_error(outcome: np.ndarray, probability: np.ndarray, *, bins: int = ECE_BINS) -> float:
    """Row-weighted mean gap between observed frequency and mean probability over equal-width bins.

    Args:
        outcome: 0/1 per row (the event happened).
        probability: The predicted probability of the event, per row.
        bins: Equal-width bins on [0, 1].

    Returns:
        The ECE in [0, 1].

    Example:
        >>> expected_calibration_error(np.array([1, 0, 1, 0]), np.array([1.0, 0.0, 1.0, 0.0]))
        0.0
    """
    which = np.clip((np.asarray(probability) * bins).astype(int), 0, bins - 1)
    observed = np.bincount(which, weights=np.asarray(outcome, dtype=float), minlength=bins)
    predicted = np.bincount(which, weights=np.asarray(probability, dtype=float), minlength=bins)
    return float(np.abs(observed - predicted).sum() / max(len(which), 1))


@dataclass(frozen=True)
class ClassificationEvidence:
    """How a classifier errs, out of fold.

    Attributes:
        classes: Class labels, in the order of the matrix and the per-class lists.
        confusion: ``confusion[i][j]``: rows of true class ``i`` predicted as ``j``.
        per_class: ``{label: {"precision", "recall", "f1", "support"}}``.
        curves: Per class (the positive class only for two): ``{"label", "roc": {"fpr", "tpr", "auc"},
            "pr": {"recall", "precision", "average_precision"}}``; empty without probabilities.
        reliability: ``{"of", "predicted", "observed", "counts"}``: the reliability curve (``of``:
            ``positive class`` or ``top label``); None without probabilities.
        ece: Expected calibration error; None without probabilities.
        rows: Rows judged (those with an out-of-fold prediction).
    """

    classes: tuple[Any, ...]
    confusion: tuple[tuple[int, ...], ...]
    per_class: dict[str, dict[str, float]]
    curves: tuple[dict[str, Any], ...]
    reliability: dict[str, Any] | None
    ece: float | None
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""
        return {
            "task": "classification",
            "classes": [plain(c) for c in self.classes],
            "confusion": [list(r) for r in self.confusion],
            "per_class": self.per_class,
            "curves": list(self.curves),
            "reliability": self.reliability,
            "ece": None if self.ece is None else round(self.ece, 6),
            "ece_bins": ECE_BINS,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class RegressionEvidence:
    """How a regressor errs, out of fold.

    Attributes:
        residuals: ``{"predicted", "residual"}``: a sample of rows (residual = true − predicted).
        by_quantile: Per quantile bin of the target: ``{"low", "high", "rows", "mae", "bias"}``.
        rows: Rows judged.
    """

    residuals: dict[str, list[float]]
    by_quantile: tuple[dict[str, float], ...]
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""
        return {"task": "regression", "residuals": self.residuals, "by_quantile": list(self.by_quantile), "rows": self.rows}


def _curves(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> list[dict[str, Any]]:
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

    columns = [1] if len(classes) == 2 else list(np.argsort(-(y[:, None] == classes).sum(axis=0))[:MAX_CURVE_CLASSES])
    curves = []
    for j in sorted(int(c) for c in columns):
        positive = (y == classes[j]).astype(int)
        if positive.min() == positive.max():
            continue
        fpr, tpr, _ = roc_curve(positive, proba[:, j])
        precision, recall, _ = precision_recall_curve(positive, proba[:, j])
        fpr_t, tpr_t = _thin(fpr, tpr)
        rec_t, prec_t = _thin(recall, precision)
        curves.append(
            {
                "label": str(plain(classes[j])),
                "roc": {"fpr": fpr_t, "tpr": tpr_t, "auc": round(float(auc(fpr, tpr)), 6)},
                "pr": {
                    "recall": rec_t,
                    "precision": prec_t,
                    "average_precision": round(float(average_precision_score(positive, proba[:, j])), 6),
                },
            }
        )
    return curves


def classification_evidence(cv: CrossValidation, y: Sequence[Any]) -> ClassificationEvidence:
    """The confusion matrix, per-class scores, curves and calibration of the out-of-fold predictions.

    Args:
        cv: The cross-validation pass (``oof_pred``, ``oof_proba``, ``classes``, ``covered``).
        y: The training target, in the order the folds index.

    Returns:
        The evidence (curves, reliability and ECE only when the model gave probabilities).

    Example:
        >>> classification_evidence(gap_result.cv, y).ece  # doctest: +SKIP
        0.031
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    covered = np.asarray(cv.covered, dtype=bool)
    target = np.asarray(y)[covered]
    pred = np.asarray(cv.oof_pred)[covered]
    classes = np.asarray(cv.classes) if cv.classes is not None else np.unique(np.concatenate([target, pred]))
    matrix = confusion_matrix(target, pred, labels=classes)
    precision, recall, f1, support = precision_recall_fscore_support(target, pred, labels=classes, zero_division=0)
    per_class = {
        str(plain(c)): {
            "precision": round(float(p), 6),
            "recall": round(float(r), 6),
            "f1": round(float(f), 6),
            "support": int(s),
        }
        for c, p, r, f, s in zip(classes, precision, recall, f1, support)
    }
    curves: list[dict[str, Any]] = []
    reliability, ece = None, None
    if cv.oof_proba is not None and cv.classes is not None:
        proba = np.asarray(cv.oof_proba)[covered]
        curves = _curves(target, proba, classes)
        if len(classes) == 2:
            of, outcome, probability = "positive class", (target == classes[1]).astype(int), proba[:, 1]
        else:
            of, outcome, probability = "top label", (pred == target).astype(int), proba.max(axis=1)
        probability = np.clip(probability, 0.0, 1.0)
        observed, predicted = calibration_curve(outcome, probability, n_bins=ECE_BINS, strategy="uniform")
        counts = np.bincount(np.clip((probability * ECE_BINS).astype(int), 0, ECE_BINS - 1), minlength=ECE_BINS)
        reliability = {
            "of": of,
            "predicted": _round(predicted),
            "observed": _round(observed),
            "counts": [int(c) for c in counts if c > 0],
        }
        ece = expected_calibration_error(outcome, probability)
    return ClassificationEvidence(
        classes=tuple(plain(c) for c in classes),
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
        per_class=per_class,
        curves=tuple(curves),
        reliability=reliability,
        ece=ece,
        rows=int(covered.sum()),
    )


def regression_evidence(cv: CrossValidation, y: Sequence[Any], *, bins: int = 10, seed: int = 0) -> RegressionEvidence:
    """Residuals against predictions and the error per quantile bin of the target, out of fold.

    Args:
        cv: The cross-validation pass.
        y: The training target.
        bins: Quantile bins of the target.
        seed: Seed of the residual sample.

    Returns:
        The evidence.
    """
    covered = np.asarray(cv.covered, dtype=bool)
    target = np.asarray(y, dtype=float)[covered]
    pred = np.asarray(cv.oof_pred, dtype=float)[covered]
    residual = target - pred
    rows = np.arange(len(target))
    if len(rows) > MAX_POINTS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_POINTS, replace=False))
    edges = np.unique(np.quantile(target, np.linspace(0, 1, bins + 1))) if len(target) else np.zeros(0)
    which = np.clip(np.searchsorted(edges, target, side="right") - 1, 0, max(len(edges) - 2, 0))
    by_quantile = []
    for b in range(max(len(edges) - 1, 0)):
        inside = which == b
        if inside.any():
            by_quantile.append(
                {
                    "low": round(float(edges[b]), 6),
                    "high": round(float(edges[b + 1]), 6),
                    "rows": int(inside.sum()),
                    "mae": round(float(np.abs(residual[inside]).mean()), 6),
                    "bias": round(float(residual[inside].mean()), 6),
                }
            )
    return RegressionEvidence(
        residuals={"predicted": _round(pred[rows]), "residual": _round(residual[rows])},
        by_quantile=tuple(by_quantile),
        rows=int(covered.sum()),
    )
