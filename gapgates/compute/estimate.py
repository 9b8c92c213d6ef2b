"""Performance of the production model estimated without labels: CBPE for classifiers, DLE for regressors.

Labels often arrive long after the predictions (defaults, churn, chargebacks). Until they do, the production
model's own outputs on the fresh rows say how well it is likely doing, *if* its confidence can be trusted:

* **Classifiers, confidence-based performance estimation (CBPE)**. When a version is registered, the
  out-of-fold probabilities of the gate's own cross-validation and the true labels are stored with it
  (:func:`estimate_reference`, ``estimate_reference.csv``, at most :data:`MAX_REFERENCE_ROWS` rows). An isotonic
  regression (``sklearn.isotonic.IsotonicRegression``, the calibrator behind ``CalibratedClassifierCV(method=
  "isotonic")``) maps the top-label probability to the chance the predicted label is right; on the fresh rows
  the mean of that chance is the **expected accuracy**. The stored rows also carry the features (since
  the correctness model): a gradient-boosting classifier of "the out-of-fold prediction was right" on the features
  and the top-label probability then gives each fresh row's chance instead, which sees a region where the model is
  confidently wrong (the confidence alone cannot). For a binary model a second isotonic map gives the
  calibrated probability of the positive class, from which the **expected ROC AUC** and **expected log loss**
  follow (from the confidence alone: where the correctness model sees a weak region, accuracy may fall further
  than they do). The interval is Monte Carlo: each of :data:`DRAWS` draws refits the isotonic calibrators on a
  bootstrap resample of the stored rows, then samples every fresh row's label from its chance and scores the
  model on those labels. It is the range the *realised* score on this batch is expected in: the batch's own
  sampling noise (wide for a small batch) and the isotonic maps' uncertainty, not the correctness model's (on the
  estimate benchmark the intervals held the realised accuracy in 87 % of batches, not 95 %).
* **Regressors, direct loss estimation (DLE)**. The stored rows carry the features, the out-of-fold prediction
  and the target. A loss model (``HistGradientBoostingRegressor`` on the features and the prediction, fitted
  on the out-of-fold absolute errors) predicts each fresh row's absolute error; their mean is the
  **expected MAE**. The spread of the stored errors around the loss model (their ratio to it) gives the
  **expected RMSE** and the Monte Carlo interval.

Both estimators rest on one assumption: the chance of a correct answer given the model's output (or the
features) is the same in production as in training. They follow a *covariate shift* (fresh rows from a
region where the model is weaker or less sure), but are blind to a *concept shift* (the same rows now having
other labels), which no label-free method can see; and they extrapolate when the fresh rows lie outside the
training rows' support (a drift AUC near 1). The monitor says so in its report.

Why not NannyML (which implements CBPE and DLE): its releases pin older majors of the plotting and
gradient-boosting stacks (``plotly<6``, ``lightgbm<4.6``) and pull in cloud filesystems, an AutoML package and a
telemetry client; scikit-learn's isotonic calibration and gradient boosting do what is needed here, beside the
locked scikit-learn and pandas.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.data.columns import category_text
from gapgates.errors import RegistryError
from gapgates.format import json_number, plain

__all__ = [
    "DRAWS",
    "ESTIMABLE",
    "MAX_REFERENCE_ROWS",
    "PREDICTION_COLUMN",
    "REFERENCE_FILE",
    "EstimateReference",
    "EstimatedScore",
    "PerformanceEstimate",
    "estimate_classifier",
    "estimate_reference",
    "estimate_regressor",
    "load_estimate_reference",
]

#: The file stored with a version.
REFERENCE_FILE = "estimate_reference.csv"
#: The most out-of-fold rows stored (drawn without replacement, seeded).
MAX_REFERENCE_ROWS = 5000
#: The largest reference file read back.
MAX_REFERENCE_BYTES = 64 << 20
#: Monte Carlo draws of an interval.
DRAWS = 200
#: The column holding the out-of-fold prediction of a regressor's stored rows.
PREDICTION_COLUMN = "gapgates.prediction"
#: The label column (class position) and probability columns (``proba.<position>``) of a classifier's stored rows.
LABEL_COLUMN = "gapgates.label"
#: Metrics estimated without labels, per task; the first is always estimated (its reference score is taken from the
#: stored rows when the version recorded none).
ESTIMABLE = {
    "classification": ("accuracy", "roc_auc", "neg_log_loss"),
    "regression": ("neg_mean_absolute_error", "neg_root_mean_squared_error", "neg_mean_squared_error"),
}
_EPS = 1e-15


@dataclass(frozen=True)
class EstimateReference:
    """What a version stores for label-free monitoring: out-of-fold outputs of its cross-validation.

    Attributes:
        task: ``classification`` or ``regression``.
        table: Classification: the feature columns (stored since the correctness model; a table too wide keeps
            none), the class position (``gapgates.label``) and the out-of-fold probabilities (``proba.0``,
            ``proba.1``...). Regression: the feature columns, the target and ``gapgates.prediction``.
        target: The target column.
        classes: The classes in probability-column order (classification), else None.
        rows: Rows stored.
        of_rows: Out-of-fold rows they were drawn from.
        sha256: sha256 of the stored CSV.
    """

    task: str
    table: pd.DataFrame
    target: str
    classes: tuple[Any, ...] | None
    rows: int
    of_rows: int
    sha256: str

    def metadata(self) -> dict[str, Any]:
        """The ``estimate_reference`` entry of the version's metadata."""
        return {
            "file": REFERENCE_FILE,
            "task": self.task,
            "target": self.target,
            "classes": None if self.classes is None else json.dumps([plain(c) for c in self.classes]),
            "rows": self.rows,
            "of_rows": self.of_rows,
            "sha256": self.sha256,
        }

    @property
    def proba(self) -> np.ndarray:
        """The out-of-fold probabilities (classification)."""
        return self.table[[f"proba.{i}" for i in range(len(self.classes or ()))]].to_numpy(dtype=float)

    @property
    def labels(self) -> np.ndarray:
        """The true class positions (classification)."""
        return self.table[LABEL_COLUMN].to_numpy(dtype=int)

    @property
    def features(self) -> list[str]:
        """The feature columns stored (classification: none in a reference stored before they were)."""
        outputs = {LABEL_COLUMN, PREDICTION_COLUMN, self.target, *(f"proba.{i}" for i in range(len(self.classes or ())))}
        return [str(c) for c in self.table.columns if c not in outputs]


def estimate_reference(
    cv: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    target: str,
    classification: bool,
    seed: int = 0,
    max_rows: int = MAX_REFERENCE_ROWS,
) -> tuple[EstimateReference, str] | None:
    """The out-of-fold rows to store with a version, and their CSV text.

    Args:
        cv: The gate's :class:`~gapgates.compute.crossval.CrossValidation` (``oof_proba``, ``oof_pred``, ``covered``).
        X: Training features.
        y: Training target.
        target: The target column's name.
        classification: Whether the model is a classifier.
        seed: Seed of the draw.
        max_rows: The most rows kept.

    Returns:
        The reference and its CSV text, or None when there is nothing to estimate from (a classifier without
        probabilities, or fewer than 20 rows tested out of fold).

    Example:
        >>> from types import SimpleNamespace
        >>> cv = SimpleNamespace(oof_pred=np.arange(30.0), covered=np.ones(30, bool), oof_proba=None, classes=None)
        >>> ref, text = estimate_reference(cv, pd.DataFrame({"a": range(30)}), pd.Series(range(30)), target="y",
        ...                                classification=False)
        >>> ref.rows, list(ref.table.columns)
        (30, ['a', 'y', 'gapgates.prediction'])
    """
    covered = np.asarray(cv.covered, dtype=bool)
    if classification:
        if cv.oof_proba is None or cv.classes is None:
            return None
        proba = np.asarray(cv.oof_proba, dtype=float)
        covered &= np.isfinite(proba).all(axis=1)
        positions = pd.Index(list(cv.classes)).get_indexer(list(np.asarray(y)))
        covered &= positions >= 0
    else:
        pred = pd.to_numeric(pd.Series(np.asarray(cv.oof_pred)), errors="coerce").to_numpy(dtype=float)
        covered &= np.isfinite(pred)
    rows = np.flatnonzero(covered)
    if len(rows) < 20:
        return None
    if len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_rows, replace=False))
    if classification:
        outputs = pd.DataFrame(proba[rows], columns=[f"proba.{i}" for i in range(proba.shape[1])])
        outputs.insert(0, LABEL_COLUMN, positions[rows])
        table = outputs
        if not any(c == LABEL_COLUMN or str(c).startswith("proba.") for c in X.columns):
            # the features too, for the correctness model of the expected accuracy; a table too wide for the
            # reference's read limit keeps the outputs alone (the estimate is then CBPE on the confidence only)
            table = pd.concat([X.iloc[rows].reset_index(drop=True), outputs], axis=1)
            head = table.head(200)  # its size from a sample of rows: the whole table is serialised once, below
            if len(head.to_csv(index=False)) * len(table) / max(1, len(head)) > MAX_REFERENCE_BYTES // 4:
                table = outputs
        classes: tuple[Any, ...] | None = tuple(plain(c) for c in cv.classes)
    else:
        if PREDICTION_COLUMN in X.columns:
            return None
        table = X.iloc[rows].reset_index(drop=True).copy()
        table[target] = np.asarray(y)[rows]
        table[PREDICTION_COLUMN] = pred[rows]
        classes = None
    text = table.to_csv(index=False)
    from gapgates.registry.files import sha256_bytes

    reference = EstimateReference(
        task="classification" if classification else "regression",
        table=table,
        target=target,
        classes=classes,
        rows=len(table),
        of_rows=int(covered.sum()),
        sha256=sha256_bytes(text.encode("utf-8")),
    )
    return reference, text


def load_estimate_reference(registry: Any, version: str, *, metadata: dict[str, Any]) -> EstimateReference:
    """Read back the out-of-fold rows stored with a version, checked against their recorded sha256.

    Raises:
        RegistryError: When the version stored none (registered before label-free monitoring, or a classifier
            without probabilities), or the file does not match its checksum or cannot be parsed.
    """
    from gapgates.registry.files import sha256_bytes

    entry = metadata.get("estimate_reference")
    data = registry.document(version, REFERENCE_FILE) if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or data is None:
        raise RegistryError(
            f"Version {version} stores no out-of-fold predictions to estimate its performance from without labels "
            "(it was registered before gapgates stored them, or the classifier has no predict_proba). Register and "
            "promote the model again with this gapgates version, or monitor with labels."
        )
    if len(data) > MAX_REFERENCE_BYTES:
        raise RegistryError(f"The estimate reference of version {version} is {len(data):,} bytes; refusing to read it.")
    digest = sha256_bytes(data)
    if digest != entry.get("sha256"):
        raise RegistryError(
            f"The estimate reference of version {version} does not match its recorded sha256 (expected "
            f"{str(entry.get('sha256'))[:12]}…, got {digest[:12]}…); refusing to use it."
        )
    try:
        table = pd.read_csv(io.BytesIO(data))
        classes = None if entry.get("classes") in (None, "None") else tuple(json.loads(str(entry["classes"])))
    except (ValueError, pd.errors.ParserError) as err:
        raise RegistryError(f"The estimate reference of version {version} cannot be read: {err}.") from None
    task = str(entry.get("task"))
    needed = [LABEL_COLUMN] if task == "classification" else [PREDICTION_COLUMN, str(entry.get("target"))]
    if task not in ESTIMABLE or any(c not in table.columns for c in needed) or len(table) > MAX_REFERENCE_ROWS:
        raise RegistryError(f"The estimate reference of version {version} is not one gapgates writes. Register the model again.")
    if task == "classification" and (classes is None or any(f"proba.{i}" not in table.columns for i in range(len(classes)))):
        raise RegistryError(f"The estimate reference of version {version} lacks its class probabilities. Register again.")
    of_rows = entry.get("of_rows")
    return EstimateReference(
        task=task,
        table=table,
        target=str(entry.get("target")),
        classes=classes,
        rows=len(table),
        of_rows=int(of_rows) if isinstance(of_rows, int) and not isinstance(of_rows, bool) else len(table),
        sha256=digest,
    )


@dataclass(frozen=True)
class EstimatedScore:
    """One metric of the production model on fresh rows, estimated without labels.

    Attributes:
        metric: sklearn scoring name (greater is better).
        estimate: The expected score on the fresh rows.
        low: Lower bound of the interval the realised score is expected in.
        high: Upper bound of that interval.
        promoted: The reference score: the cross-validated test score recorded at promotion, or (when the version
            recorded none for this metric) the score of the stored out-of-fold rows.
        reference: ``promotion`` or ``out_of_fold``: where ``promoted`` comes from.
    """

    metric: str
    estimate: float
    low: float
    high: float
    promoted: float
    reference: str

    @property
    def gap(self) -> float:
        """The estimated production gap: reference score − estimate (positive: worse in production)."""
        return self.promoted - self.estimate

    @property
    def gap_interval(self) -> tuple[float, float]:
        """The gap's interval, ``(promoted − high, promoted − low)``."""
        return self.promoted - self.high, self.promoted - self.low

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``estimate.scores`` entry."""
        low, high = self.gap_interval
        return {
            "promoted_test": json_number(self.promoted),
            "reference": self.reference,
            "estimated": json_number(self.estimate),
            "estimated_ci_low": json_number(self.low),
            "estimated_ci_high": json_number(self.high),
            "gap_mean": json_number(self.gap),
            "gap_ci_low": json_number(low),
            "gap_ci_high": json_number(high),
        }


@dataclass(frozen=True)
class PerformanceEstimate:
    """The label-free estimate of one fresh batch.

    Attributes:
        method: ``cbpe`` (classifiers) or ``dle`` (regressors).
        scores: Per estimated metric, the first being the one always estimated (accuracy, or negative MAE).
        reference_rows: Out-of-fold rows the calibrators (or the loss model) were fitted on.
        ece: Expected calibration error of the stored out-of-fold probabilities (top label; classifiers), or None.
        confidence: Level of the intervals.
        draws: Monte Carlo draws of the intervals.
        features: The feature columns of the correctness model behind the expected accuracy (classifiers whose
            version stored its features); empty: the confidence alone.
    """

    method: str
    scores: tuple[EstimatedScore, ...]
    reference_rows: int
    ece: float | None
    confidence: float
    draws: int
    features: tuple[str, ...] = ()

    @property
    def primary(self) -> EstimatedScore:
        """The metric always estimated."""
        return self.scores[0]

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``estimate`` section (without the monitor's notes)."""
        return {
            "method": self.method,
            "primary_metric": self.primary.metric,
            "scores": {s.metric: s.to_dict() for s in self.scores},
            "reference_rows": self.reference_rows,
            "features": list(self.features),
            "ece": json_number(self.ece),
            "confidence": self.confidence,
            "draws": self.draws,
        }


def _isotonic(x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.isotonic import IsotonicRegression

    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)


def _percentiles(values: list[float], confidence: float) -> tuple[float, float]:
    finite = np.asarray([v for v in values if math.isfinite(v)])
    if len(finite) < len(values) / 2 or not len(finite):
        return math.nan, math.nan
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low), float(high)


def _reference_score(metric: str, promoted: dict[str, float | None], fallback: float) -> tuple[float, str]:
    value = promoted.get(metric)
    return (float(value), "promotion") if value is not None and math.isfinite(value) else (fallback, "out_of_fold")


def _wanted(task: str, metrics: list[str]) -> list[str]:
    """The always-estimated metric first, then the version's other estimable metrics in its order."""
    first, *others = ESTIMABLE[task]
    return [first, *[m for m in metrics if m in others]]


#: Fewest stored rows, and fewest right and wrong answers among them, to fit the correctness model on.
MIN_CORRECTNESS_ROWS, MIN_CORRECTNESS_CLASS = 200, 20


def _correctness(
    reference: EstimateReference,
    ref_conf: np.ndarray,
    ref_correct: np.ndarray,
    X: pd.DataFrame | None,
    conf: np.ndarray,
    *,
    seed: int,
) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Each fresh row's chance of a right answer from a correctness model of the stored rows (a gradient-boosting
    classifier of "the out-of-fold prediction was right" on the features and the top-label probability), and the
    features it read.

    Features it cannot learn from are left out: those without a value in the stored rows, and numeric ones whose
    fresh values lie mostly (over :data:`MAX_OUT_OF_RANGE`) outside the stored rows' range (a row id, a date or a
    counter that only grows: every fresh row would fall in the edge leaf). None (the confidence alone decides, as
    CBPE) when no feature is left, the fresh rows lack one of them, the stored rows have too few right or wrong
    answers to learn from, or the fit fails on what the rows hold.
    """
    wrong = int(len(ref_correct) - ref_correct.sum())
    if (
        X is None
        or not reference.features
        or any(c not in X.columns for c in reference.features)
        or len(ref_correct) < MIN_CORRECTNESS_ROWS
        or min(wrong, int(ref_correct.sum())) < MIN_CORRECTNESS_CLASS
    ):
        return None
    table = reference.table
    features = [c for c in reference.features if _learnable(table[c], X[c])]
    if not features:
        return None
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        min_samples_leaf=40,
        early_stopping=True,
        categorical_features="from_dtype",
        random_state=seed,
    )
    try:
        model.fit(_loss_frame(table, features, ref_conf, table), ref_correct.astype(int))
        right = list(model.classes_).index(1)
        chance = np.asarray(model.predict_proba(_loss_frame(X, features, conf, table))[:, right], dtype=float)
        return chance, tuple(features)
    except (ValueError, TypeError, IndexError):  # what the rows hold defeats the fit: the confidence alone decides
        return None


#: The largest share of a numeric feature's fresh values outside the stored rows' range for the correctness model.
MAX_OUT_OF_RANGE = 0.5


def _learnable(stored: pd.Series, fresh: pd.Series) -> bool:
    """Whether the correctness model may use a feature: a value in the stored rows, and (numeric) fresh values
    mostly within their range."""
    if stored.isna().all():
        return False
    if not pd.api.types.is_numeric_dtype(stored.dtype) or pd.api.types.is_bool_dtype(stored.dtype):
        return True
    values = pd.to_numeric(stored, errors="coerce").to_numpy(dtype=float)
    low, high = np.nanmin(values), np.nanmax(values)
    new = pd.to_numeric(pd.Series(np.asarray(fresh)), errors="coerce").to_numpy(dtype=float)
    new = new[np.isfinite(new)]
    return not len(new) or float(np.mean((new < low) | (new > high))) <= MAX_OUT_OF_RANGE


def estimate_classifier(
    reference: EstimateReference,
    proba: np.ndarray,
    *,
    features: pd.DataFrame | None = None,
    metrics: list[str],
    promoted: dict[str, float | None],
    confidence: float = 0.95,
    seed: int = 0,
    draws: int = DRAWS,
) -> PerformanceEstimate:
    """CBPE: a classifier's expected accuracy (and, binary, ROC AUC and log loss) on fresh rows, with an interval.

    The expected accuracy is the mean chance of a right answer. With the features stored in the reference and
    given here, that chance comes from a correctness model (:func:`_correctness`): the confidence alone misses
    regions where the model is wrong as confidently as it is right elsewhere, and on the estimate benchmark's real
    tables the features bring the estimates within ±0.03 of the realised accuracy in 88 % of 300 batches instead
    of 80 %. Without them (a reference stored before they were, or a table too wide) the chance is the isotonic
    map of the confidence. The Monte Carlo draws add the bootstrap's change of that isotonic map to the chance.

    Args:
        reference: The version's stored out-of-fold rows (classification).
        proba: The production model's ``predict_proba`` on the fresh rows, columns in ``reference.classes`` order.
        features: The fresh rows' features (the correctness model's input); None: the confidence alone.
        metrics: The metrics recorded at promotion (``roc_auc`` / ``neg_log_loss`` are estimated when among them
            and the model is binary; ``accuracy`` always).
        promoted: The cross-validated test score recorded at promotion, per metric.
        confidence: Level of the intervals.
        seed: Seed of the Monte Carlo draws.
        draws: Monte Carlo draws.

    Returns:
        The estimate.

    Example:
        >>> rng = np.random.default_rng(0); p = rng.uniform(size=2000); y = (rng.uniform(size=2000) < p).astype(int)
        >>> ref = EstimateReference("classification", pd.DataFrame({"gapgates.label": y, "proba.0": 1 - p,
        ...     "proba.1": p}), "y", (0, 1), 2000, 2000, "")
        >>> fresh = rng.uniform(0.45, 0.55, size=(1000, 1)); est = estimate_classifier(ref, np.c_[1 - fresh, fresh],
        ...     metrics=["accuracy"], promoted={"accuracy": 0.75})
        >>> 0.45 < est.primary.estimate < 0.6
        True
    """
    from sklearn.metrics import roc_auc_score

    from gapgates.compute.classification import expected_calibration_error

    proba = np.asarray(proba, dtype=float)
    ref_proba, labels = reference.proba, reference.labels
    ref_conf, ref_correct = ref_proba.max(axis=1), (ref_proba.argmax(axis=1) == labels).astype(float)
    conf = proba.max(axis=1)
    binary = proba.shape[1] == 2
    wanted = [m for m in _wanted("classification", metrics) if binary or m == "accuracy"]
    p1 = np.clip(proba[:, 1], _EPS, 1 - _EPS) if binary else None
    rng = np.random.default_rng(seed)

    full_map = _isotonic(ref_conf, ref_correct)
    correctness = _correctness(reference, ref_conf, ref_correct, features, conf, seed=seed)
    # the correctness model's chance, moved as each bootstrap moves the confidence's isotonic map
    offset = None if correctness is None else correctness[0] - full_map.predict(conf)

    def expected(conf_map: Any, pos_map: Any, sample: np.ndarray | None) -> dict[str, float]:
        chance = conf_map.predict(conf)
        if offset is not None:
            chance = np.clip(chance + offset, 0.0, 1.0)
        out: dict[str, float] = {}
        if sample is None:
            out["accuracy"] = float(chance.mean())
        else:
            out["accuracy"] = float((sample < chance).mean())
        if p1 is not None and pos_map is not None:
            q = np.clip(pos_map.predict(p1), 0.0, 1.0)
            if sample is None:
                out["neg_log_loss"] = float(np.mean(q * np.log(p1) + (1 - q) * np.log(1 - p1)))
                out["roc_auc"] = _expected_auc(q, p1)
            else:
                y = (rng.uniform(size=len(q)) < q).astype(int)
                out["neg_log_loss"] = float(np.mean(np.where(y == 1, np.log(p1), np.log(1 - p1))))
                out["roc_auc"] = float(roc_auc_score(y, p1)) if 0 < y.sum() < len(y) else math.nan
        return out

    pos_fit = (lambda rows: _isotonic(ref_proba[rows, 1], (labels[rows] == 1).astype(float))) if binary else None
    every = np.arange(len(labels))
    point = expected(full_map, pos_fit(every) if pos_fit else None, None)
    drawn: dict[str, list[float]] = {m: [] for m in wanted}
    for _ in range(draws):
        rows = rng.integers(0, len(labels), size=len(labels))
        values = expected(
            _isotonic(ref_conf[rows], ref_correct[rows]), pos_fit(rows) if pos_fit else None, rng.uniform(size=len(conf))
        )
        for m in wanted:
            drawn[m].append(values[m])
    fallback = {"accuracy": float(ref_correct.mean())}
    if binary:
        ref_p1 = np.clip(ref_proba[:, 1], _EPS, 1 - _EPS)
        ref_y = labels == 1
        fallback["neg_log_loss"] = float(np.mean(np.where(ref_y, np.log(ref_p1), np.log(1 - ref_p1))))
        fallback["roc_auc"] = float(roc_auc_score(ref_y, ref_p1)) if 0 < ref_y.sum() < len(ref_y) else math.nan
    scores = []
    for m in wanted:
        low, high = _percentiles(drawn[m], confidence)
        value, source = _reference_score(m, promoted, fallback[m])
        scores.append(EstimatedScore(m, point[m], low, high, value, source))
    top = ref_proba.argmax(axis=1)
    ece = expected_calibration_error((top == labels).astype(int), np.clip(ref_conf, 0.0, 1.0))
    used = () if correctness is None else correctness[1]
    return PerformanceEstimate("cbpe", tuple(scores), len(labels), ece, confidence, draws, used)


def _expected_auc(q: np.ndarray, score: np.ndarray) -> float:
    """The ROC AUC expected when row i is positive with probability ``q[i]``: CBPE's expected confusion counts.

    Over rows sorted by score, the expected positives and negatives ranked below each row give the expected
    number of correctly ordered (positive, negative) pairs; ties count a half. The ratio of expectations is the
    estimate (as CBPE's expected confusion matrix at every threshold).
    """
    order = np.argsort(score, kind="mergesort")
    q, s = q[order], score[order]
    neg = 1 - q
    _, start, counts = np.unique(s, return_index=True, return_counts=True)
    pairs = 0.0
    below_neg = 0.0
    for first, count in zip(start, counts, strict=True):
        block = slice(first, first + count)
        block_pos, block_neg = q[block].sum(), neg[block].sum()
        pairs += block_pos * below_neg + 0.5 * (block_pos * block_neg - float(np.sum(q[block] * neg[block])))
        below_neg += block_neg
    total = q.sum() * neg.sum() - float(np.sum(q * neg))
    return float(pairs / total) if total > 0 else math.nan


def _loss_frame(table: pd.DataFrame, features: list[str], prediction: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
    """Features for the loss model: numeric columns as numbers, the others as categories of the reference's values."""
    columns: dict[str, Any] = {}  # built at once: a column added at a time fragments a wide frame
    for column in features:
        if pd.api.types.is_numeric_dtype(like[column].dtype):
            columns[column] = pd.to_numeric(pd.Series(np.asarray(table[column])), errors="coerce").to_numpy(dtype=float)
        else:
            values = category_text(like[column]).value_counts().index[:250]
            columns[column] = pd.Categorical(category_text(pd.Series(np.asarray(table[column]))), categories=list(values))
    columns[PREDICTION_COLUMN] = np.asarray(prediction)
    return pd.DataFrame(columns, index=range(len(table)))


def estimate_regressor(
    reference: EstimateReference,
    X: pd.DataFrame,
    prediction: np.ndarray,
    *,
    metrics: list[str],
    promoted: dict[str, float | None],
    confidence: float = 0.95,
    seed: int = 0,
    draws: int = DRAWS,
) -> PerformanceEstimate:
    """DLE: a regressor's expected MAE (and RMSE, MSE) on fresh rows, from a loss model of its out-of-fold errors.

    Args:
        reference: The version's stored out-of-fold rows (regression).
        X: The fresh rows' features.
        prediction: The production model's predictions on them.
        metrics: The metrics recorded at promotion (``neg_root_mean_squared_error`` / ``neg_mean_squared_error``
            are estimated when among them; ``neg_mean_absolute_error`` always).
        promoted: The cross-validated test score recorded at promotion, per metric.
        confidence: Level of the intervals.
        seed: Seed of the loss model and of the Monte Carlo draws.
        draws: Monte Carlo draws.

    Returns:
        The estimate (scores negated: greater is better, as sklearn's ``neg_*`` scorers).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor

    table = reference.table
    features = [c for c in table.columns if c not in (reference.target, PREDICTION_COLUMN)]
    ref_pred = table[PREDICTION_COLUMN].to_numpy(dtype=float)
    ref_err = np.abs(pd.to_numeric(table[reference.target], errors="coerce").to_numpy(dtype=float) - ref_pred)
    keep = np.isfinite(ref_err)
    train = _loss_frame(table.loc[keep], features, ref_pred[keep], table)
    loss = HistGradientBoostingRegressor(
        max_iter=150, learning_rate=0.05, min_samples_leaf=40, categorical_features="from_dtype", random_state=seed
    ).fit(train, ref_err[keep])
    floor = max(float(np.median(ref_err[keep])) * 1e-3, 1e-12)
    ref_expected = np.maximum(loss.predict(train), floor)
    ratio = ref_err[keep] / ref_expected
    expected_abs = np.maximum(loss.predict(_loss_frame(X, features, np.asarray(prediction, dtype=float), table)), floor)
    second = float(np.mean(ratio**2))
    point = {
        "neg_mean_absolute_error": -float(expected_abs.mean()),
        "neg_mean_squared_error": -float(np.mean(expected_abs**2) * second),
        "neg_root_mean_squared_error": -math.sqrt(float(np.mean(expected_abs**2) * second)),
    }
    wanted = _wanted("regression", metrics)
    rng = np.random.default_rng(seed)
    drawn: dict[str, list[float]] = {m: [] for m in wanted}
    for _ in range(draws):
        errors = expected_abs * ratio[rng.integers(0, len(ratio), size=len(expected_abs))]
        mse = float(np.mean(errors**2))
        values = {"neg_mean_absolute_error": -float(errors.mean()), "neg_mean_squared_error": -mse}
        values["neg_root_mean_squared_error"] = -math.sqrt(mse)
        for m in wanted:
            drawn[m].append(values[m])
    mse_ref = float(np.mean(ref_err[keep] ** 2))
    fallback = {
        "neg_mean_absolute_error": -float(ref_err[keep].mean()),
        "neg_mean_squared_error": -mse_ref,
        "neg_root_mean_squared_error": -math.sqrt(mse_ref),
    }
    scores = []
    for m in wanted:
        low, high = _percentiles(drawn[m], confidence)
        value, source = _reference_score(m, promoted, fallback[m])
        scores.append(EstimatedScore(m, point[m], low, high, value, source))
    return PerformanceEstimate("dle", tuple(scores), int(keep.sum()), None, confidence, draws)
