"""Training curves of iterative models, from the gap pass's own fold models: where to stop early.

A boosting model (``HistGradientBoosting*``, ``GradientBoosting*``, ``AdaBoost*``) can replay its
training one iteration at a time (``staged_predict``, ``staged_predict_proba``,
``staged_decision_function``: only the one the primary metric's scorer reads). :func:`training_curve` replays
every fold model of the gap's one
cross-validation pass on its own training and test rows and scores each iteration with the run's
primary metric, through the same scikit-learn scorer: train and validation score per fold and
iteration, with **no extra fit**. :func:`stopping_point` reads the curve with the one-standard-error
rule: the early-stopping point is the smallest iteration whose mean validation score is within one
standard error (across folds) of the best mean.

A model trained by epochs (``MLPClassifier/Regressor`` with ``sgd``/``adam``, ``SGDClassifier/Regressor``)
cannot replay its epochs: each fold's model is trained again from scratch with ``partial_fit``, one epoch at
a time up to the epochs its fold model ran (``n_iter_``), and scored after each: **one extra fit per fold**,
epoch by epoch (``partial_fit`` does not stop on ``tol``, so the curve shows every epoch).

XGBoost's and LightGBM's models have no staged predictions, but predict with their first ``i`` iterations
(``iteration_range``, ``num_iteration``: :attr:`gapgates.data.libraries.Library.first_iterations`); they are replayed
that way, at the scored iterations only, also with **no extra fit** (CatBoost has ``staged_predict``). An XGBoost
classifier fitted on label codes (:class:`gapgates.data.labels.EncodedLabels`) answers with the labels at each
iteration too.

A model that can do neither is skipped with the reason (the section says why), so a pipeline can always
ask for the curve.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.crossval import CrossValidation
from gapgates.compute.intervals import fold_standard_error

__all__ = ["MAX_POINTS", "TrainingCurve", "iteration_param", "replays_epochs", "stopping_point", "training_curve"]

#: Most iterations scored per fold; a longer run is scored at evenly spaced iterations (the last always).
MAX_POINTS = 200
#: The staged methods a model replays its iterations with, by the response method a scorer asks for.
STAGED = {"predict": "staged_predict", "predict_proba": "staged_predict_proba", "decision_function": "staged_decision_function"}


@dataclass(frozen=True)
class TrainingCurve:
    """Train and validation score of the primary metric at each iteration of an iterative model, per fold.

    Attributes:
        metric: The scoring name (greater is better, as sklearn scorers are signed).
        param: The parameter that sets the number of iterations (``max_iter``, ``n_estimators``); None when skipped.
        iterations: The iterations scored (1-based), in order.
        train: Per fold, the train score at each of ``iterations``.
        test: Per fold, the validation (held-out fold) score at each of ``iterations``.
        fitted: Iterations the model ran (the last of ``iterations``); None when skipped.
        method: ``"staged"`` (the fold models replayed, no fit) or ``"partial_fit"`` (epochs, one extra fit
            per fold); None when skipped.
        best: The iteration where the mean validation score peaks; None when skipped.
        stop: The early-stopping point: the smallest iteration whose mean validation score is within
            one standard error of the best; None when skipped.
        skipped: Why no curve was computed (None: computed).
    """

    metric: str
    param: str | None = None
    iterations: tuple[int, ...] = ()
    train: tuple[tuple[float, ...], ...] = ()
    test: tuple[tuple[float, ...], ...] = ()
    fitted: int | None = None
    method: str | None = None
    best: int | None = None
    stop: int | None = None
    skipped: str | None = None

    def _at(self, iteration: int | None) -> int:
        return self.iterations.index(iteration) if iteration in self.iterations else -1

    @property
    def train_mean(self) -> tuple[float, ...]:
        """Mean train score over folds at each iteration."""
        return tuple(map(float, np.mean(self.train, axis=0))) if self.train else ()

    @property
    def test_mean(self) -> tuple[float, ...]:
        """Mean validation score over folds at each iteration."""
        return tuple(map(float, np.mean(self.test, axis=0))) if self.test else ()

    @property
    def param_line(self) -> str | None:
        """The ready option, e.g. ``--param max_iter=140``; None when skipped or when the best is the last iteration."""
        if self.param is None or self.stop is None or self.fitted is None or self.stop >= self.fitted:
            return None
        return f"--param {self.param}={self.stop}"

    @property
    def verdict(self) -> str:
        """One sentence on where the validation score peaks and where to stop, with the numbers."""
        if self.skipped is not None:
            return f"No training curve: {self.skipped}"
        test, train = self.test_mean, self.train_mean
        best, stop = self._at(self.best), self._at(self.stop)
        text = (
            f"The mean validation {self.metric} peaks at iteration {self.best} of {self.fitted} "
            f"({test[best]:.4f}; train {train[best]:.4f}, gap {train[best] - test[best]:.4f}); "
        )
        if self.param_line is None:
            return text + "it is still at its best at the last iteration: stopping earlier would not help."
        last = len(test) - 1
        if self.stop == self.best:
            return text + (f"stop there with {self.param_line} (gap {train[last] - test[last]:.4f} at {self.fitted}).")
        return text + (
            f"iteration {self.stop} is within one standard error of it ({test[stop]:.4f}, gap "
            f"{train[stop] - test[stop]:.4f} against {train[last] - test[last]:.4f} at {self.fitted}): "
            f"stop early with {self.param_line}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``training_curve`` section."""

        def num(v: float) -> float | None:
            return round(float(v), 6) if math.isfinite(v) else None

        se = _standard_errors(self.test)
        return {
            "metric": self.metric,
            "param": self.param,
            "method": self.method,
            "fitted_iterations": self.fitted,
            "best_iteration": self.best,
            "stopping_iteration": self.stop,
            "param_line": self.param_line,
            "skipped": self.skipped,
            "verdict": self.verdict,
            "points": [
                {"iteration": i, "train": num(a), "test": num(b), "gap": num(a - b), "test_se": num(s)}
                for i, a, b, s in zip(self.iterations, self.train_mean, self.test_mean, se, strict=True)
            ],
            "folds": [
                {"train": [num(v) for v in tr], "test": [num(v) for v in te]}
                for tr, te in zip(self.train, self.test, strict=True)
            ],
        }


def _standard_errors(scores: Sequence[Sequence[float]] | np.ndarray) -> tuple[float, ...]:
    """Standard error of the mean across folds (rows) at each iteration (columns); NaN with one fold."""
    arr = np.asarray(scores, dtype=float)
    return tuple(map(float, fold_standard_error(arr))) if arr.ndim == 2 else ()


def stopping_point(iterations: Sequence[int], test: Sequence[Sequence[float]]) -> tuple[int, int]:
    """The iteration where the mean validation score peaks, and the early-stopping point (one-standard-error rule).

    Args:
        iterations: The iterations scored, increasing.
        test: Per fold, the validation score at each iteration (greater is better).

    Returns:
        ``(best, stop)``: the iteration with the highest mean score (the first, on a tie), and the
        smallest iteration whose mean is at least the best mean minus the standard error across folds
        at the best (with one fold: the best itself).

    Raises:
        ValueError: If the scores do not have one column per iteration, or no iteration has a score.

    Example:
        >>> stopping_point([1, 2, 3], [[0.5, 0.80, 0.81], [0.5, 0.82, 0.83]])
        (3, 2)
    """
    arr = np.asarray(test, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != len(iterations) or arr.shape[1] == 0:
        raise ValueError(f"The scores must have one column per iteration ({len(iterations)}). Got shape {arr.shape}.")
    mean = arr.mean(axis=0)
    if not np.isfinite(mean).any():
        raise ValueError("No iteration has a finite mean validation score.")
    best = int(np.nanargmax(np.where(np.isfinite(mean), mean, -np.inf)))
    se = _standard_errors(arr)[best]
    threshold = mean[best] - (se if math.isfinite(se) else 0.0)
    stop = int(np.flatnonzero(np.isfinite(mean) & (mean >= threshold))[0])
    return int(iterations[best]), int(iterations[stop])


def iteration_param(estimator: Any) -> str | None:
    """The parameter that sets an iterative model's number of iterations (``max_iter``, ``n_estimators``; a boosting
    library's own: CatBoost's ``iterations``)."""
    from gapgates.data.libraries import library_of

    model = _iterating(estimator)
    library = library_of(model)
    if library is not None:
        return library.iterations
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    return next((p for p in ("max_iter", "n_estimators") if p in params), None)


def _iterating(model: Any) -> Any:
    """The model that iterates: the classifier inside a label wrapper, else the model itself."""
    from gapgates.data.labels import EncodedLabels

    if isinstance(model, EncodedLabels):
        return model.estimator_ if hasattr(model, "estimator_") else model.estimator
    return model


def _first_iterations(model: Any) -> Any:
    """How a fitted boosting library's model predicts with its first ``i`` iterations, or None."""
    from gapgates.data.libraries import library_of

    library = library_of(_iterating(model))
    return None if library is None else library.first_iterations


def _replays(model: Any) -> bool:
    """Whether a fitted model's iterations can be replayed without a fit (staged predictions, or a library's)."""
    return hasattr(model, "staged_predict") or _first_iterations(model) is not None


def _fitted_iterations(model: Any, X: Any) -> int:
    """The iterations a fitted model ran."""
    from gapgates.data.libraries import library_of

    library = library_of(_iterating(model))
    if library is not None and library.fitted_iterations is not None:
        return library.fitted_iterations(_iterating(model))
    return sum(1 for _ in model.staged_predict(_rows(X, [0])))


def replays_epochs(estimator: Any) -> bool:
    """Whether the training curve of this (unfitted) model trains it again epoch by epoch: one more fit per fold.

    True for a model (or a Pipeline's last step) with ``partial_fit`` and no staged predictions (``MLP*`` with
    ``sgd``/``adam``, ``SGD*``); a boosting model is replayed with no fit.

    Example:
        >>> from sklearn.linear_model import SGDClassifier
        >>> from sklearn.ensemble import HistGradientBoostingClassifier
        >>> replays_epochs(SGDClassifier()), replays_epochs(HistGradientBoostingClassifier())
        (True, False)
    """
    from gapgates.data.guard import unwrap

    model = unwrap(estimator)
    while hasattr(model, "steps") and hasattr(model, "__getitem__"):
        model = model[-1]
    return hasattr(model, "partial_fit") and not hasattr(model, "staged_predict")


class _Stage:
    """One iteration's outputs, served to a scikit-learn scorer as a fitted model would serve them."""

    def __init__(self, model: Any, outputs: dict[str, Any]) -> None:
        self._model, self._outputs = model, outputs
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_

    def __sklearn_tags__(self) -> Any:
        return self._model.__sklearn_tags__()

    def __getattr__(self, name: str) -> Any:
        outputs = self.__dict__.get("_outputs", {})
        if name not in outputs:
            raise AttributeError(name)

        def serve(X: Any) -> Any:
            return outputs[name]

        serve.__name__ = name  # scikit-learn picks a response method by its name
        return serve


def _final_step(model: Any, X: pd.DataFrame) -> tuple[Any, Any]:
    """The model that iterates (a Pipeline's last step) and ``X`` as it sees it."""
    if hasattr(model, "steps") and hasattr(model, "__getitem__"):
        return model[-1], model[:-1].transform(X)
    return model, X


def _served(model: Any, scorer: Any) -> list[str]:
    """The response methods to replay for a scorer: the first of those it asks for (``_response_method``:
    ``predict`` for accuracy, ``decision_function`` then ``predict_proba`` for roc_auc) that the model stages, as
    scikit-learn picks one on a fitted model; every staged method for a scorer that does not say."""
    if _first_iterations(model) is not None:  # a library's model replays any method it has
        staged = [name for name in STAGED if hasattr(_iterating(model), name)]
    else:
        staged = [name for name, method in STAGED.items() if hasattr(model, method)]
    asked = getattr(scorer, "_response_method", None)
    candidates = (asked,) if isinstance(asked, str) else tuple(asked or ())
    chosen = next((name for name in candidates if name in staged), None)
    return staged if chosen is None else [chosen]


def _stages(model: Any, X: Any, methods: Sequence[str], keep: set[int]) -> Iterator[dict[str, Any]]:
    """The outputs of the given response methods at each kept iteration (0-based), in order: replayed in lockstep by
    their staged methods, or predicted with the first ``i + 1`` iterations of a boosting library's model."""
    first = _first_iterations(model)
    if first is not None:
        inner = _iterating(model)
        for i in sorted(keep):
            outputs = {name: first(inner, name, X, i + 1) for name in methods}
            if "predict" in outputs and inner is not model:  # a classifier fitted on label codes: the labels
                outputs["predict"] = model.decode(outputs["predict"])
            yield outputs
        return
    replays = {name: getattr(model, STAGED[name])(X) for name in methods}
    for i, stage in enumerate(zip(*replays.values())):
        if i in keep:
            yield dict(zip(replays, stage))


def _rows(X: Any, rows: Any) -> Any:
    """Rows of a frame or an array (a Pipeline's transform may return either), by position."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _scored(model: Any, X: Any, y: pd.Series, scorer: Any, keep: set[int]) -> list[float]:
    """The scorer's score at each kept iteration (0-based) of the model's staged outputs (only the response method
    the scorer reads is replayed: :func:`_served`)."""
    stages = _stages(model, X, _served(model, scorer), keep)
    return [float(scorer(_Stage(model, outputs), X, y)) for outputs in stages]


def _skip(metric: str, reason: str) -> TrainingCurve:
    return TrainingCurve(metric=metric, skipped=reason)


def _kept(fitted: int) -> set[int]:
    """The iterations (0-based) scored: all, or :data:`MAX_POINTS` evenly spaced ones with the last."""
    step = max(1, math.ceil(fitted / MAX_POINTS))
    return {i for i in range(fitted) if (i + 1) % step == 0 or i == fitted - 1}


def _epochs(
    model: Any, X: Any, y: pd.Series, fold: tuple[Any, Any], scorer: Any, *, epochs: int, keep: set[int]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Train a fresh clone of a fold's model by ``partial_fit``, one epoch at a time; score after the kept epochs."""
    from sklearn.base import clone

    tr, te = fold
    learner = clone(model)
    X_train, y_train, X_test, y_test = _rows(X, tr), y.iloc[tr], _rows(X, te), y.iloc[te]
    extra = {"classes": model.classes_} if hasattr(model, "classes_") else {}
    train: list[float] = []
    test: list[float] = []
    for epoch in range(epochs):
        learner.partial_fit(X_train, y_train, **extra)
        if epoch in keep:
            train.append(float(scorer(learner, X_train, y_train)))
            test.append(float(scorer(learner, X_test, y_test)))
    return tuple(train), tuple(test)


def _curve(
    metric: str,
    models: list[tuple[Any, Any]],
    train: list[tuple[float, ...]],
    test: list[tuple[float, ...]],
    *,
    keep: set[int],
    fitted: int,
    method: str,
) -> TrainingCurve:
    iterations = tuple(sorted(i + 1 for i in keep))
    best, stop = stopping_point(iterations, test)
    return TrainingCurve(
        metric=metric,
        param=iteration_param(models[0][0]),
        iterations=iterations,
        train=tuple(train),
        test=tuple(test),
        fitted=fitted,
        method=method,
        best=best,
        stop=stop,
    )


def _epoch_curve(models: list[tuple[Any, Any]], cv: CrossValidation, y: pd.Series, *, metric: str) -> TrainingCurve:
    """The curve of a model trained by epochs: one ``partial_fit`` run per fold, as long as its fold model ran."""
    from sklearn.metrics import get_scorer

    fitted = min(int(np.max(model.n_iter_)) for model, _ in models)
    keep = _kept(fitted)
    scorer = get_scorer(metric)
    scores = [_epochs(model, Xt, y, fold, scorer, epochs=fitted, keep=keep) for (model, Xt), fold in zip(models, cv.splits)]
    return _curve(
        metric, models, [tr for tr, _ in scores], [te for _, te in scores], keep=keep, fitted=fitted, method="partial_fit"
    )


def training_curve(cv: CrossValidation, X: pd.DataFrame, y: pd.Series, *, metric: str) -> TrainingCurve:
    """Replay the gap pass's fold models iteration by iteration and score each on both sides of its fold.

    Args:
        cv: The gap pass (its fitted fold models and their folds); a boosting model is not fitted again, a model
            trained by epochs once more per fold (``partial_fit``).
        X: Features, as the gap pass saw them.
        y: Target.
        metric: The primary scoring name.

    Returns:
        The curve with its best iteration and early-stopping point, or a curve skipped with the reason
        (a model with neither staged predictions nor ``partial_fit``, or a metric a replayed stage cannot serve).

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.ensemble import GradientBoostingClassifier
        >>> from gapgates.compute.crossval import gap
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> result = gap(GradientBoostingClassifier(n_estimators=20, random_state=0), X, y, n_splits=3)
        >>> training_curve(result.cv, X, y, metric="accuracy").fitted
        20
    """
    from sklearn.metrics import get_scorer

    from gapgates.data.guard import unwrap

    models = [_final_step(unwrap(est), X) for est in cv.estimators]
    name = type(models[0][0]).__name__ if models else "the model"
    if models and all(
        hasattr(m, "partial_fit") and hasattr(m, "n_iter_") and not hasattr(m, "staged_predict") for m, _ in models
    ):
        return _epoch_curve(models, cv, y, metric=metric)
    if not models or not all(_replays(m) for m, _ in models):
        return _skip(
            metric,
            f"{name} has neither staged predictions (staged_predict) nor epochs (partial_fit): "
            "training curves cover boosting models (HistGradientBoosting*, GradientBoosting*, "
            "AdaBoost*, XGBoost, LightGBM, CatBoost) and models trained by epochs (MLP* with sgd or adam, SGD*).",
        )
    lengths = [_fitted_iterations(model, Xt) for model, Xt in models]
    fitted = min(lengths)  # folds may stop at different iterations (early stopping): the common ones
    keep = _kept(fitted)
    scorer = get_scorer(metric)
    train: list[tuple[float, ...]] = []
    test: list[tuple[float, ...]] = []
    try:
        for (model, Xt), (tr, te) in zip(models, cv.splits):
            train.append(tuple(_scored(model, _rows(Xt, tr), y.iloc[tr], scorer, keep)))
            test.append(tuple(_scored(model, _rows(Xt, te), y.iloc[te], scorer, keep)))
    except (AttributeError, TypeError) as err:  # a stage cannot serve the metric's response method
        return _skip(metric, f"the {metric} scorer cannot score {name}'s replayed iterations ({err}).")
    return _curve(metric, models, train, test, keep=keep, fitted=fitted, method="staged")
