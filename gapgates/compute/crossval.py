"""The generalization gap: one cross-validation pass, per-fold train and test scores.

:func:`gap` runs ``sklearn.model_selection.cross_validate`` exactly once with
``return_train_score``, ``return_estimator`` and ``return_indices``. From the
fitted fold models it also keeps the out-of-fold predictions (probabilities
for classifiers that have them), so label-noise detection needs no extra fit.
:func:`merge_gaps` adds the folds of a later pass (more repeats of k-fold) to a result
without fitting or predicting anything again.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.intervals import corrected_interval
from gapgates.data.guard import fits_shape, recorded
from gapgates.data.scoring import default_metrics, resolve_scoring
from gapgates.data.splits import Splits, make_splits

__all__ = [
    "AdaptiveRepeats",
    "CrossValidation",
    "GapResult",
    "MetricGap",
    "Straddle",
    "gap",
    "measure_gap",
    "merge_gaps",
    "renewed_thread_limits",
    "summarize_folds",
    "summarize_gap",
    "thread_limits",
]

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class MetricGap:
    """The gap of one metric across folds.

    Attributes:
        metric: sklearn scoring name.
        train: Train score of each fold.
        test: Test (out-of-fold) score of each fold.
        train_mean: Mean train score.
        test_mean: Mean test score.
        gap_mean: Mean of train − test.
        gap_ci_low: Lower bound of the Nadeau–Bengio interval on the mean gap.
        gap_ci_high: Upper bound of that interval.
        relative_gap: ``gap_mean / |train_mean|`` (None when the train mean is 0).
    """

    metric: str
    train: tuple[float, ...]
    test: tuple[float, ...]
    train_mean: float
    test_mean: float
    gap_mean: float
    gap_ci_low: float
    gap_ci_high: float
    relative_gap: float | None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "train_mean": num(self.train_mean),
            "test_mean": num(self.test_mean),
            "gap_mean": num(self.gap_mean),
            "gap_ci_low": num(self.gap_ci_low),
            "gap_ci_high": num(self.gap_ci_high),
            "relative_gap": num(self.relative_gap),
            "folds": [{"train": num(a), "test": num(b)} for a, b in zip(self.train, self.test)],
        }


def summarize_gap(
    metric: str,
    train: Sequence[float],
    test: Sequence[float],
    *,
    n_train: float,
    n_test: float,
    confidence: float = 0.95,
) -> MetricGap:
    """Summarise per-fold scores of one metric into a :class:`MetricGap`.

    Args:
        metric: Scoring name.
        train: Per-fold train scores.
        test: Per-fold test scores.
        n_train: Average training rows per fold.
        n_test: Average test rows per fold.
        confidence: Interval level.

    Returns:
        The summary with a Nadeau–Bengio corrected interval on the mean gap.
    """
    tr, te = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    diffs = tr - te
    low, high = corrected_interval(diffs, n_train=n_train, n_test=n_test, confidence=confidence)
    train_mean = float(tr.mean())
    gap_mean = float(diffs.mean())
    return MetricGap(
        metric=metric,
        train=tuple(map(float, tr)),
        test=tuple(map(float, te)),
        train_mean=train_mean,
        test_mean=float(te.mean()),
        gap_mean=gap_mean,
        gap_ci_low=low,
        gap_ci_high=high,
        relative_gap=gap_mean / abs(train_mean) if train_mean != 0 else None,
    )


def summarize_folds(
    splits: Splits,
    train: dict[str, Sequence[float]],
    test: dict[str, Sequence[float]],
    *,
    confidence: float = 0.95,
) -> dict[str, MetricGap]:
    """Summarise the per-fold scores of every metric, with the folds' average train and test sizes.

    Args:
        splits: The ``(train_rows, test_rows)`` of every fold, in the order of the scores.
        train: ``{metric: per-fold train scores}``; its order is the metrics' order.
        test: ``{metric: per-fold test scores}``.
        confidence: Interval level.

    Returns:
        ``{metric: MetricGap}``, each with the Nadeau–Bengio interval over all ``len(splits)`` folds.
    """
    n_train = float(np.mean([len(tr) for tr, _ in splits]))
    n_test = float(np.mean([len(te) for _, te in splits]))
    return {
        name: summarize_gap(name, train[name], test[name], n_train=n_train, n_test=n_test, confidence=confidence)
        for name in train
    }


@dataclass(frozen=True, eq=False)
class CrossValidation:
    """What the one cross-validation pass leaves behind for later steps.

    Attributes:
        splits: The ``(train_rows, test_rows)`` of every fold.
        estimators: The fitted model of every fold.
        classes: Class labels, in the column order of ``oof_proba`` (classification).
        oof_proba: Out-of-fold probabilities, averaged over repeats; None when the
            model has no ``predict_proba`` or for regression. Rows never tested are NaN.
        oof_pred: Out-of-fold predictions (labels or values); NaN/None where not tested.
        covered: Which rows were in some test fold (all of them, except with TimeSeriesSplit).
        fit_seconds: Total fit time over folds.
    """

    splits: Splits
    estimators: tuple[Any, ...]
    classes: np.ndarray | None
    oof_proba: np.ndarray | None
    oof_pred: np.ndarray
    covered: np.ndarray
    fit_seconds: float


@dataclass(frozen=True)
class Straddle:
    """A gated interval that straddled its limit: why repeats of k-fold were added.

    Attributes:
        check: The check's name, e.g. ``"gap:accuracy"``.
        low: Lower bound of the check's interval, in the check's units.
        high: Upper bound of that interval.
        limit: The policy limit between the two.
    """

    check: str
    low: float
    high: float
    limit: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"check": self.check, "low": self.low, "high": self.high, "limit": self.limit}


@dataclass(frozen=True)
class AdaptiveRepeats:
    """Repeats of k-fold added after the configured ones because a gated interval straddled its limit.

    Attributes:
        folds: Folds per repeat (``k``).
        configured: Repeats of the configured folds (``--repeats``).
        added: Repeats added, each of ``folds`` fits (0: no interval straddled its limit).
        budget: The most that could be added (``[gap] max_repeats``).
        straddled: The intervals that straddled their limit on the configured folds (why repeats were added).
        unresolved: The checks whose interval still straddled its limit when the budget was spent:
            their evidence is inconclusive.
        reference_fits: The strong baseline's fits made while deciding the repeats (its scores on every pass's
            folds); the references step then finds them cached, and counts them in its ``fits``.
    """

    folds: int
    configured: int
    added: int
    budget: int
    straddled: tuple[Straddle, ...] = ()
    unresolved: tuple[str, ...] = ()
    reference_fits: int = 0

    @property
    def extra_fits(self) -> int:
        """Model fits the added repeats cost."""
        return self.added * self.folds

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``cv.adaptive`` section."""
        return {
            "folds": self.folds,
            "configured": self.configured,
            "added": self.added,
            "budget": self.budget,
            "extra_fits": self.extra_fits,
            "straddled": [s.to_dict() for s in self.straddled],
            "unresolved": list(self.unresolved),
        }


@dataclass(frozen=True, eq=False)
class GapResult:
    """Per-metric gaps of one cross-validation pass.

    Attributes:
        metrics: ``{scoring name: MetricGap}``; the first entry is the primary metric.
        classification: Whether the estimator is a classifier.
        n_folds: Number of fitted folds (``k × repeats``).
        confidence: Level of the intervals.
        cv: Fold models, splits and out-of-fold predictions.
        repeats: The repeats added because a gated interval straddled its limit (None: the run
            could not add any, see :mod:`gapgates.pipeline.repeats`).
    """

    metrics: dict[str, MetricGap]
    classification: bool
    n_folds: int
    confidence: float
    cv: CrossValidation
    repeats: AdaptiveRepeats | None = None

    @property
    def primary(self) -> MetricGap:
        """The first metric's gap."""
        return next(iter(self.metrics.values()))

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``gap`` section."""
        return {name: m.to_dict() for name, m in self.metrics.items()}


class _ProgressScorer:
    """A multimetric scorer that reports finished folds (in-process runs only)."""

    def __init__(self, scorers: dict[str, Any], total: int, callback: ProgressCallback) -> None:
        self._inner: Any = None  # built in the process that scores
        self._scorers = scorers
        self._total = total
        self._callback: ProgressCallback | None = callback
        self._calls = 0

    def __call__(self, estimator: Any, X: Any, y: Any) -> dict[str, float]:
        from sklearn.metrics._scorer import _MultimetricScorer

        if self._inner is None:
            self._inner = _MultimetricScorer(scorers=self._scorers)
        scores = self._inner(estimator, X, y)
        self._calls += 1
        if self._callback is not None and self._calls % 2 == 0:  # test then train score per fold
            self._callback(self._calls // 2, self._total)
        return scores

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_callback"] = None
        return state


#: The cores each worker of this context may use (None outside a :func:`thread_limits`): the free cores the outermost
#: limit measured, divided among the workers of every enclosing limit. Threads started inside a limit with a copy of
#: the context (Prefect's ``ThreadPoolTaskRunner``) inherit their share.
_SHARE: contextvars.ContextVar[int | None] = contextvars.ContextVar("gapgates_thread_share", default=None)


@contextlib.contextmanager
def thread_limits(n_jobs: int | None) -> Iterator[int]:
    """Size native thread pools (BLAS, OpenMP) to the cores free right now, shared among ``n_jobs`` joblib workers
    (yields the workers): here, and in loky workers through ``inner_max_num_threads``.

    On an idle machine a single worker keeps every core; with other CPU-bound processes running, the pools shrink
    to the cores they leave free (:func:`gapgates.config.free_cores`), so a run takes its fair share instead of
    stalling at thread barriers. The free cores are measured once, by the outermost limit (a gate run's); the
    passes inside it share that measurement, and a limit for ``n_jobs`` workers leaves each worker its share: a
    limit inside one of them (a sweep value's passes on a task runner's thread) divides that share, not the run's
    cores. The numbers do not depend on it.

    threadpoolctl limits only the runtimes loaded when the limit is entered, so scikit-learn (and with it its
    OpenMP runtime) is imported first; a runtime a model brings later is reached by :func:`renewed_thread_limits`.
    """
    import joblib
    import sklearn  # noqa: F401  # loads scikit-learn's OpenMP runtime, so the limit below reaches it
    from joblib.parallel import get_active_backend
    from threadpoolctl import threadpool_limits

    from gapgates.config import free_cores

    workers = joblib.effective_n_jobs(n_jobs)
    cores = _SHARE.get()
    if cores is None:
        cores = free_cores()
    inner = max(1, cores // max(1, workers))
    backend, _ = get_active_backend()
    with contextlib.ExitStack() as stack:
        token = _SHARE.set(inner)
        stack.callback(_SHARE.reset, token)
        stack.enter_context(threadpool_limits(limits=inner))
        if workers > 1 and type(backend).__name__ == "LokyBackend":
            stack.enter_context(joblib.parallel_config(backend="loky", inner_max_num_threads=inner))
        yield workers


#: The thread starting the workers of the run's parallel pass (:func:`start_workers`), joined before the pass.
_STARTING: list[threading.Thread] = []


def _ready(modules: tuple[str, ...]) -> None:
    """In a worker: import what a fold's task needs (scikit-learn's fit-and-score, the guard, the model's module)."""
    import importlib

    for name in modules:
        with contextlib.suppress(Exception):  # a module that does not import fails in the pass, with its own error
            importlib.import_module(name)


def start_workers(n_jobs: int | None, *, model: str | None = None) -> None:
    """Start the process workers of a parallel pass now, in a background thread, so that their interpreters start
    and import scikit-learn while this process reads and validates the data (issue 29: a cold start cost a
    quarter of the parallel pass). Call inside the run's :func:`thread_limits`: the workers get the environment the
    pass will ask for, so joblib reuses them. Nothing happens for one worker or another joblib backend.

    Args:
        n_jobs: The pass's ``n_jobs``.
        model: The model spec (a dotted class path's module is imported in the workers too).
    """
    import joblib
    from joblib.parallel import get_active_backend

    from gapgates.config import free_cores

    workers = joblib.effective_n_jobs(n_jobs)
    backend, _ = get_active_backend()
    if workers <= 1 or type(backend).__name__ != "LokyBackend" or _STARTING:
        return
    cores = _SHARE.get()
    inner = max(1, (cores if cores is not None else free_cores()) // workers)
    modules = ["sklearn.model_selection._validation", "gapgates.data.guard"]
    if model is not None and ":" not in model and "." in model:
        modules.append(model.rsplit(".", 1)[0])

    def start() -> None:
        with contextlib.suppress(Exception):  # the pass starts its workers itself when this could not
            with joblib.parallel_config(backend="loky", inner_max_num_threads=inner):
                joblib.Parallel(n_jobs=workers)(joblib.delayed(_ready)(tuple(modules)) for _ in range(workers))

    thread = threading.Thread(target=start, name="gapgates-start-workers", daemon=True)
    _STARTING.append(thread)
    thread.start()


def _workers_started() -> None:
    """Wait for :func:`start_workers` (the pass then finds its workers running)."""
    while _STARTING:
        _STARTING.pop().join()


def renewed_thread_limits() -> contextlib.AbstractContextManager[Any]:
    """The enclosing :func:`thread_limits` applied again, to the native runtimes loaded since it was entered.

    A gate run enters its limit before the load-data step resolves the model, and a model can bring its own
    OpenMP runtime (LightGBM's, XGBoost's) that the limit never saw. Outside a limit this does nothing: a
    process worker keeps the threads its parent gave it.
    """
    if _SHARE.get() is None:
        return contextlib.nullcontext()
    return thread_limits(None)


def out_of_fold(
    estimators: Sequence[Any], splits: Splits, X: pd.DataFrame, n_rows: int, classification: bool
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray, np.ndarray]:
    covered = np.zeros(n_rows, dtype=bool)
    for _, test in splits:
        covered[test] = True
    has_proba = classification and all(hasattr(e, "predict_proba") for e in estimators)
    if not has_proba:
        pred = np.full(n_rows, np.nan, dtype=object if classification else float)
        for est, (_, test) in zip(estimators, splits):
            out = _test_output(est, "predict", X, test)
            if fits_shape("predict", out, len(test)):  # an invalid output is recorded by the guard; never stored
                pred[test] = np.asarray(out).reshape(len(test))  # last repeat wins for labels
        return None, None, pred, covered
    classes = np.unique(np.concatenate([np.asarray(e.classes_) for e in estimators]))
    sums = np.zeros((n_rows, classes.size))
    counts = np.zeros(n_rows)
    for est, (_, test) in zip(estimators, splits):
        cols = np.searchsorted(classes, np.asarray(est.classes_))
        out = _test_output(est, "predict_proba", X, test)
        if not fits_shape("predict_proba", out, len(test), cols.size):
            sums[test] = np.nan  # no probabilities for these rows: label noise refuses them
            counts[test] += 1
            continue
        sums[np.ix_(test, cols)] += np.asarray(out, dtype=float)
        counts[test] += 1
    proba, pred = _average(classes, sums, counts, covered)
    return classes, proba, pred, covered


def _test_output(estimator: Any, method: str, X: pd.DataFrame, test: np.ndarray) -> Any:
    """``method`` of a fold model on its test rows: the output the pass recorded when it scored them, or a new call."""
    out = recorded(estimator, "test", method)
    return getattr(estimator, method)(X.iloc[test]) if out is None else out


def _average(classes: np.ndarray, sums: np.ndarray, counts: np.ndarray, covered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities (summed over folds, divided by the folds that tested each row) and their labels."""
    with np.errstate(invalid="ignore", divide="ignore"):
        proba = sums / counts[:, None]
    proba[~covered] = np.nan
    pred = np.empty(len(counts), dtype=classes.dtype if classes.dtype.kind != "U" else object)
    pred[covered] = classes[np.argmax(proba[covered], axis=1)]
    return proba, pred


def _tested(splits: Splits, n_rows: int) -> np.ndarray:
    """How many folds tested each row."""
    counts = np.zeros(n_rows)
    for _, test in splits:
        counts[test] += 1
    return counts


def _merge_out_of_fold(
    first: CrossValidation, more: CrossValidation
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray, np.ndarray]:
    """The out-of-fold predictions of two passes together, without predicting again.

    Probabilities are averaged over every fold that tested a row (each pass weighted by how many of
    its folds tested it); for labels the later pass wins, as in :func:`out_of_fold`.
    """
    covered = first.covered | more.covered
    if first.oof_proba is None or more.oof_proba is None or first.classes is None or more.classes is None:
        pred = first.oof_pred.copy()
        pred[more.covered] = more.oof_pred[more.covered]
        return None, None, pred, covered
    n_rows = len(covered)
    classes = np.union1d(first.classes, more.classes)
    sums = np.zeros((n_rows, classes.size))
    counts = np.zeros(n_rows)
    passes = ((first.splits, first.classes, first.oof_proba), (more.splits, more.classes, more.oof_proba))
    for splits, part_classes, part_proba in passes:
        tested = _tested(splits, n_rows)
        cols = np.searchsorted(classes, part_classes)
        sums[:, cols] += np.nan_to_num(part_proba) * tested[:, None]
        counts += tested
    proba, pred = _average(classes, sums, counts, covered)
    return classes, proba, pred, covered


def merge_gaps(first: GapResult, more: GapResult) -> GapResult:
    """The gap of two passes' folds together, as one pass over all of them gives it.

    Per-fold scores are joined (``more``'s after ``first``'s), every interval is recomputed over all
    ``J`` folds, and the out-of-fold probabilities are averaged over every fold that tested a row:
    nothing is fitted or predicted again. Used to add repeats of k-fold to a finished pass.

    Args:
        first: The folds fitted so far.
        more: Folds fitted later with the same estimator, metrics and confidence.

    Returns:
        The combined result (``repeats`` is left to the caller).

    Raises:
        ValueError: If the two passes measured different metrics, tasks or confidence levels.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from gapgates.data.splits import make_splits
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> folds = make_splits(X, y, classification=True, n_splits=3, n_repeats=2)
        >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0)
        >>> both = merge_gaps(gap(tree, X, y, splits=folds[:3]), gap(tree, X, y, splits=folds[3:]))
        >>> both.primary.test == gap(tree, X, y, splits=folds).primary.test
        True
    """
    same = (list(first.metrics), first.classification, first.confidence)
    if same != (list(more.metrics), more.classification, more.confidence):
        raise ValueError(
            "Only passes with the same metrics, task and confidence can be merged. "
            f"Got {same} and {(list(more.metrics), more.classification, more.confidence)}."
        )
    splits = [*first.cv.splits, *more.cv.splits]
    metrics = summarize_folds(
        splits,
        {m: g.train + more.metrics[m].train for m, g in first.metrics.items()},
        {m: g.test + more.metrics[m].test for m, g in first.metrics.items()},
        confidence=first.confidence,
    )
    classes, proba, pred, covered = _merge_out_of_fold(first.cv, more.cv)
    cv = CrossValidation(
        splits=splits,
        estimators=first.cv.estimators + more.cv.estimators,
        classes=classes,
        oof_proba=proba,
        oof_pred=pred,
        covered=covered,
        fit_seconds=first.cv.fit_seconds + more.cv.fit_seconds,
    )
    return GapResult(
        metrics=metrics, classification=first.classification, n_folds=len(splits), confidence=first.confidence, cv=cv
    )


#: How :func:`gap` names the inputs the fixes of its messages name (:func:`gapgates.errors.fix`).
GAP_ARGUMENTS = {"folds": "n_splits", "repeats": "n_repeats", "group": "groups", "metrics": "scoring", "model": "estimator"}

Scoring = str | Sequence[str] | Mapping[str, Any]


def gap(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    scoring: Scoring | None = None,
    splits: Splits | None = None,
    groups: pd.Series | None = None,
    n_splits: int = 5,
    n_repeats: int = 1,
    seed: int = 0,
    confidence: float = 0.95,
    n_jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> GapResult:
    """Measure train − test per metric and fold in one cross-validation pass: the library's front door.

    It takes what ``gapgates check`` takes: an estimator or a model spec (a dotted class path such as
    ``"sklearn.tree.DecisionTreeClassifier"``, or ``"path/to/file.py:NAME"``), and a table with text columns,
    encoded inside each fold as the CLI encodes them (one-hot; a boosting library's categories; an XGBoost
    classifier's text or boolean labels as codes, answering with the labels: :func:`gapgates.data.model.encode_features`).
    ``scoring`` is one scikit-learn scoring name, a list of them, or a ``{name: scoring name or scorer}`` dict, as
    scikit-learn's ``cross_validate`` takes it. Errors name this function's arguments (``n_splits``, ``scoring``).

    Args:
        estimator: Any scikit-learn estimator or Pipeline (cloned, never fitted in place), or a model spec string
            (a boosting library's model built from one is quiet, as in the CLI).
        X: Features (a DataFrame); rows are identified by position.
        y: Target.
        scoring: A scoring name, a list of names (the first is primary), or ``{name: name or scorer}``. Default
            ``accuracy`` for classifiers, ``r2`` for regressors.
        splits: Precomputed folds (see :func:`gapgates.splits.make_splits`); when None
            they are made from ``n_splits``, ``n_repeats``, ``seed`` and ``groups``.
        groups: Group labels for ``GroupKFold``.
        n_splits: Folds per repeat.
        n_repeats: Repeats of k-fold.
        seed: Seed of the fold shuffling.
        confidence: Level of the gap interval.
        n_jobs: Folds fitted in parallel (joblib); native threads are capped per worker.
        progress: Called with ``(folds_done, folds_total)`` as folds finish (in-process only).

    Returns:
        The per-metric gaps and the pass's fold models and out-of-fold predictions.

    Raises:
        ConfigError: On an estimator that is neither an estimator nor a model spec, an unknown metric, or one the
            estimator cannot serve.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> result = gap("sklearn.tree.DecisionTreeClassifier", X, y, scoring="accuracy")
        >>> result.primary.train_mean
        1.0
    """
    from gapgates.errors import spelled

    with spelled(GAP_ARGUMENTS):
        model = _library_model(estimator, X, y)
        return measure_gap(
            model,
            X,
            y,
            scoring=_scoring_names(scoring),
            splits=splits,
            groups=groups,
            n_splits=n_splits,
            n_repeats=n_repeats,
            seed=seed,
            confidence=confidence,
            n_jobs=n_jobs,
            progress=progress,
        )


def _library_model(estimator: Any, X: Any, y: Any) -> Any:
    """A library caller's estimator, built from a spec when it is one, checked, and encoded as the CLI encodes."""
    from gapgates.data.guard import model_kind
    from gapgates.data.libraries import native_defaults
    from gapgates.data.model import build_model, encode_features
    from gapgates.errors import ConfigError, brief

    if isinstance(estimator, str):
        estimator = native_defaults(build_model(estimator))
    elif isinstance(estimator, type) or not all(hasattr(estimator, m) for m in ("fit", "get_params", "set_params")):
        raise ConfigError(
            "The estimator must be a scikit-learn estimator (an object with fit, get_params and set_params; "
            f"an instance, not a class) or a model spec such as 'sklearn.tree.DecisionTreeClassifier'. Got "
            f"{brief(repr(estimator), 80)}."
        )
    kind = model_kind(estimator)
    if kind is None:
        raise ConfigError(
            f"The estimator {type(estimator).__name__} does not say whether it is a classifier or a regressor. "
            "Inherit sklearn.base.ClassifierMixin or RegressorMixin before BaseEstimator (or set _estimator_type)."
        )
    if not isinstance(X, pd.DataFrame):
        return estimator
    return encode_features(estimator, X, y if kind == "classifier" else None)  # the caller's estimator is not changed


def _scoring_names(scoring: Scoring | None) -> list[str] | dict[str, Any] | None:
    """``scoring`` as scikit-learn takes it: a name, a list of names, or ``{name: name or scorer}``."""
    from gapgates.errors import ConfigError

    if scoring is None or isinstance(scoring, dict):
        return scoring
    if isinstance(scoring, str):
        return [scoring]
    if isinstance(scoring, Mapping):
        return dict(scoring)
    if callable(scoring):
        raise ConfigError("A scorer passed alone has no name for the report. Pass scoring={'name': scorer}, or a scoring name.")
    return list(scoring)


def measure_gap(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    scoring: Sequence[str] | Mapping[str, Any] | None = None,
    splits: Splits | None = None,
    groups: pd.Series | None = None,
    n_splits: int = 5,
    n_repeats: int = 1,
    seed: int = 0,
    confidence: float = 0.95,
    n_jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> GapResult:
    """Measure train − test per metric and fold in one cross-validation pass, on an estimator ready for the data
    (the pipeline's, encoded and guarded; :func:`gap` prepares a library caller's).

    Args:
        estimator: Any scikit-learn estimator or Pipeline, ready for ``X`` and ``y`` (cloned, never fitted in place).
        X: Features; rows are identified by position.
        y: Target.
        scoring: sklearn scoring names, or ``{name: scoring name or scorer}``; the first is primary (default as
            :func:`gap`'s).
        splits, groups, n_splits, n_repeats, seed, confidence, n_jobs, progress: As :func:`gap` takes them.

    Returns:
        The per-metric gaps and the pass's fold models and out-of-fold predictions.

    Raises:
        ConfigError: On an unknown metric or one the estimator cannot serve.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> result = measure_gap(DecisionTreeClassifier(random_state=0), X, y)
        >>> result.primary.train_mean
        1.0
    """
    from sklearn.base import is_classifier
    from sklearn.model_selection import cross_validate

    classification = is_classifier(estimator)
    scorers = resolve_scoring(scoring if scoring else default_metrics(classification=classification), estimator)
    names = list(scorers)
    if splits is None:
        splits = make_splits(
            X, y, classification=classification, n_splits=n_splits, n_repeats=n_repeats, seed=seed, groups=groups
        )
    scoring_arg: Any = scorers
    with thread_limits(None):  # the run's limit (measured here outside a run), for the predictions after the fits
        with thread_limits(n_jobs) as workers:  # shared among the workers while they fit
            _workers_started()
            if progress is not None and workers <= 1:
                scoring_arg = _ProgressScorer(scorers, len(splits), progress)
            raw = cross_validate(
                estimator,
                X,
                y,
                scoring=scoring_arg,
                cv=splits,
                n_jobs=n_jobs,
                return_train_score=True,
                return_estimator=True,
                return_indices=True,
                error_score="raise",
            )
        folds = list(zip(raw["indices"]["train"], raw["indices"]["test"]))
        estimators = tuple(raw["estimator"])
        classes, proba, pred, covered = out_of_fold(estimators, folds, X, len(X), classification)
    if progress is not None and workers > 1:
        progress(len(splits), len(splits))
    metrics = summarize_folds(
        folds, {m: raw[f"train_{m}"] for m in names}, {m: raw[f"test_{m}"] for m in names}, confidence=confidence
    )
    cv = CrossValidation(
        splits=folds,
        estimators=estimators,
        classes=classes,
        oof_proba=proba,
        oof_pred=pred,
        covered=covered,
        fit_seconds=float(np.sum(raw["fit_time"])),
    )
    return GapResult(metrics=metrics, classification=classification, n_folds=len(folds), confidence=confidence, cv=cv)
