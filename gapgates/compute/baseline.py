"""Reference models scored on the candidate's folds, so its score has something to be compared with.

:func:`baseline` scores a dummy (the prior or the mean): the floor. :func:`strong_baseline` scores references that
are hard to beat on tabular data — HistGradientBoosting with early stopping, a random forest and a regularised
linear model on scaled, one-hot encoded features — on the same folds, per fold, so the candidate can be compared with them fold by
fold (:func:`gapgates.compute.intervals.paired_difference`). Its scores are cached in the process fold by fold, keyed
on every input that decides them (data, the fold's rows, metrics, model, seed, row cap): a capacity sweep's values
and the repeats of k-fold added while the gap's cost is undecided reuse them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute import disk_cache
from gapgates.compute.noise import ConfidentErrors
from gapgates.data.model import MAX_CATEGORIES
from gapgates.data.scoring import resolve_scoring
from gapgates.data.splits import Splits

__all__ = ["STRONG_MODELS", "BaselineResult", "ReferenceScores", "StrongBaselineResult", "baseline", "strong_baseline"]


@dataclass(frozen=True)
class BaselineResult:
    """Scores of ``DummyClassifier(strategy="prior")`` or ``DummyRegressor(strategy="mean")``.

    Attributes:
        model: The dummy's class name and strategy.
        test_mean: Mean out-of-fold score per metric.
        train_mean: Mean train score per metric.
    """

    model: str
    test_mean: dict[str, float]
    train_mean: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``baseline`` section."""
        metrics = {m: {"train": self.train_mean[m], "test": self.test_mean[m]} for m in self.test_mean}
        return {"model": self.model, "metrics": metrics}


def baseline(X: pd.DataFrame, y: pd.Series, *, splits: Splits, scoring: Sequence[str], classification: bool) -> BaselineResult:
    """Score a dummy model on the given folds.

    Args:
        X: Features.
        y: Target.
        splits: The folds the candidate was scored on.
        scoring: sklearn scoring names.
        classification: Dummy classifier (class priors) or regressor (mean).

    Returns:
        The dummy's mean train and test scores per metric.
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import cross_validate

    dummy = DummyClassifier(strategy="prior") if classification else DummyRegressor(strategy="mean")
    scorers = resolve_scoring(scoring, dummy)
    raw = cross_validate(dummy, X, y, scoring=scorers, cv=splits, return_train_score=True, error_score="raise")
    return BaselineResult(
        model=f"{type(dummy).__name__}(strategy={dummy.strategy!r})",
        test_mean={m: float(np.mean(raw[f"test_{m}"])) for m in scoring},
        train_mean={m: float(np.mean(raw[f"train_{m}"])) for m in scoring},
    )


#: The strong baseline's models, by their policy name (``[baseline] models``).
STRONG_MODELS = ("hgb", "linear", "forest")
_CACHE_SIZE = 4096  # folds × references kept: (train scores, test scores) by metric, and the test rows' predictions

#: A fold's test rows as a classifier predicted them: (largest probability as float32, predicted class as an index of
#: the labels' sorted classes). Enough for :func:`~gapgates.compute.noise.confident_errors`, at 8 bytes a row.
_Predicted = tuple[np.ndarray, np.ndarray]
_CACHE: OrderedDict[str, tuple[dict[str, float], dict[str, float], _Predicted | None]] = OrderedDict()
_CACHE_BYTES = 256 * 2**20  # predictions kept at most (the scores are a few bytes a fold)
_cached_bytes = 0


@dataclass(frozen=True)
class ReferenceScores:
    """One reference model's per-fold scores on the candidate's folds.

    Attributes:
        name: Its policy name (``hgb``, ``linear``, ``forest``).
        model: What was fitted, in words (``HistGradientBoostingClassifier(early_stopping=True)``).
        train: ``{metric: per-fold train scores}``.
        test: ``{metric: per-fold test scores}``, in the order of the folds.
        confident: Classification with ``confident_share``: how often the given labels contradict this model's
            out-of-fold predictions among the rows it is surest of, against over all rows
            (:func:`~gapgates.compute.noise.confident_errors`; each row's prediction from the first fold that tests
            it). A model that cannot memorise the labels it is trained on keeps that view of random flips; None
            otherwise.
    """

    name: str
    model: str
    train: dict[str, tuple[float, ...]]
    test: dict[str, tuple[float, ...]]
    confident: ConfidentErrors | None = None

    def train_mean(self, metric: str) -> float:
        """Mean train score of a metric."""
        return float(np.mean(self.train[metric]))

    def test_mean(self, metric: str) -> float:
        """Mean test score of a metric."""
        return float(np.mean(self.test[metric]))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: per metric train, test, gap means and the per-fold scores."""
        metrics = {}
        for m in self.test:
            train, test = self.train_mean(m), self.test_mean(m)
            folds = [{"train": float(a), "test": float(b)} for a, b in zip(self.train[m], self.test[m], strict=True)]
            metrics[m] = {"train": train, "test": test, "gap": train - test, "folds": folds}
        confident = None if self.confident is None else self.confident.to_dict()
        return {"name": self.name, "model": self.model, "metrics": metrics, "confident": confident}


@dataclass(frozen=True)
class StrongBaselineResult:
    """The strong baseline: reference models scored on the candidate's folds, the best of them named.

    Attributes:
        references: Every reference model's scores, in the policy's order.
        best: The name of the reference with the best mean test score of the primary metric: *the* strong baseline.
        metric: The primary metric.
        n_train: Average training rows per fold (of the candidate's folds; the corrected interval's ratio).
        n_test: Average test rows per fold.
        fits: Models fitted to compute it (the folds found in the cache cost none).
        max_rows: The cap on training rows per fold (None: every row was used).
        subsampled: Whether the cap applied (the references saw a random subset of each fold's training rows).
    """

    references: tuple[ReferenceScores, ...]
    best: str
    metric: str
    n_train: float
    n_test: float
    fits: int
    max_rows: int | None = None
    subsampled: bool = False

    @property
    def best_reference(self) -> ReferenceScores:
        """The strong baseline's scores."""
        return next(r for r in self.references if r.name == self.best)

    @property
    def test_mean(self) -> dict[str, float]:
        """The strong baseline's mean test score per metric."""
        best = self.best_reference
        return {m: best.test_mean(m) for m in best.test}

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``strong_baseline`` section."""
        return {
            "best": self.best,
            "metric": self.metric,
            "fits": self.fits,
            "max_rows": self.max_rows,
            "subsampled": self.subsampled,
            "references": [r.to_dict() for r in self.references],
        }


def _describe(name: str, *, classification: bool) -> str:
    """A reference model in words."""
    if name == "hgb":
        return f"HistGradientBoosting{'Classifier' if classification else 'Regressor'}(early_stopping=True)"
    if name == "forest":
        return f"RandomForest{'Classifier' if classification else 'Regressor'}(n_estimators=100)"
    linear = "LogisticRegression(C=1)" if classification else "RidgeCV(alphas=1e-3..1e3)"
    return f"StandardScaler + one-hot + {linear}"


def _reference_model(name: str, X: pd.DataFrame, *, classification: bool, seed: int) -> tuple[Any, str]:
    """The unfitted pipeline of one reference model and its description."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    other = [c for c in X.columns if c not in numeric]
    if name in ("hgb", "forest"):  # trees: numbers as they are, categories as codes, missing values kept as NaN
        codes = ColumnTransformer(
            [
                ("numeric", "passthrough", numeric),
                (
                    "categorical",
                    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan),
                    other,
                ),
            ],
            sparse_threshold=0.0,
        )
        if name == "forest":
            forest = RandomForestClassifier if classification else RandomForestRegressor
            model: Any = forest(n_estimators=100, random_state=seed)
        else:
            cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
            few = [bool(X[c].nunique() < 250) for c in other]  # HGB takes categories below its 255 bins; others as codes
            mask = [False] * len(numeric) + few
            model = cls(early_stopping=True, random_state=seed, categorical_features=mask if any(mask) else None)
        return make_pipeline(codes, model), _describe(name, classification=classification)
    linear = LogisticRegression(max_iter=1000) if classification else RidgeCV(alphas=np.logspace(-3, 3, 13))
    encode = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    # dense, so at most MAX_CATEGORIES columns a text column (as the candidate's own encoding)
                    OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES, sparse_output=False),
                ),
                other,
            ),
        ],
        sparse_threshold=0.0,
    )
    return make_pipeline(encode, linear), _describe(name, classification=classification)


def _data_key(X: pd.DataFrame, y: pd.Series, parts: tuple[Any, ...]) -> bytes:
    """A digest of the data and of every option that decides a reference's fold scores."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(repr((list(X.columns), [str(t) for t in X.dtypes])).encode())
    digest.update(pd.util.hash_pandas_object(y, index=False).to_numpy().tobytes())
    digest.update(repr(parts).encode())
    return digest.digest()


def _fold_key(data: bytes, name: str, train: np.ndarray, test: np.ndarray) -> str:
    """The cache key of one reference on one fold."""
    digest = hashlib.sha256(data + name.encode())
    digest.update(np.asarray(train, dtype=np.int64).tobytes() + b"|" + np.asarray(test, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _capped(train: np.ndarray, key: str, *, seed: int, max_rows: int | None) -> np.ndarray:
    """A fold's training rows, at most ``max_rows`` of them (a sample drawn from the run's seed and the fold alone,
    so a fold scored later, in an added repeat, is capped as it would have been in the first pass)."""
    if max_rows is None or len(train) <= max_rows:
        return train
    rng = np.random.default_rng([seed, int(key[:8], 16)])
    return np.sort(rng.choice(train, size=max_rows, replace=False))


def _entry_bytes(entry: tuple[Any, Any, _Predicted | None]) -> int:
    predicted = entry[2]
    return 0 if predicted is None else int(predicted[0].nbytes + predicted[1].nbytes)


def _store(key: str, entry: tuple[dict[str, float], dict[str, float], _Predicted | None]) -> None:
    """Cache one reference's fold (its predictions' bytes counted against :data:`_CACHE_BYTES`)."""
    global _cached_bytes
    if key in _CACHE:
        _cached_bytes -= _entry_bytes(_CACHE[key])
    _CACHE[key] = entry
    _cached_bytes += _entry_bytes(entry)


def _evict() -> None:
    """Drop the least recently used folds while the cache holds more than :data:`_CACHE_SIZE` of them or more than
    :data:`_CACHE_BYTES` of predictions (the folds of the run just scored were used last, so they stay)."""
    global _cached_bytes
    while len(_CACHE) > _CACHE_SIZE or (_cached_bytes > _CACHE_BYTES and len(_CACHE) > 1):
        _, entry = _CACHE.popitem(last=False)
        _cached_bytes -= _entry_bytes(entry)


def _unscored(
    keys: Sequence[str],
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    disk: Path | None,
    scoring: Sequence[str],
    predict: bool,
) -> list[int]:
    """The folds (indexes) neither this process nor, with a disk cache, another one has scored: those to fit. The folds
    found on disk are added to the process's cache."""
    missing = [i for i, key in enumerate(keys) if key not in _CACHE]
    if disk is None:
        return missing
    for i in missing:
        entry = disk_cache.load(disk, keys[i], metrics=scoring, n_test=len(folds[i][1]), predicted=predict)
        if entry is not None:
            _store(keys[i], entry)
    return [i for i in missing if keys[i] not in _CACHE]


def _predicted(estimator: Any, X: pd.DataFrame, classes: np.ndarray) -> _Predicted | None:
    """A fitted reference's predictions on a fold's test rows (None when it has no ``predict_proba``)."""
    if not hasattr(estimator, "predict_proba"):
        return None
    proba = np.asarray(estimator.predict_proba(X), dtype=float)
    fitted = np.asarray(estimator.classes_)
    return proba.max(axis=1).astype(np.float32), np.searchsorted(classes, fitted[np.argmax(proba, axis=1)]).astype(np.int32)


def _confident(
    y: pd.Series, classes: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]], predicted: Sequence[Any], *, share: float
) -> ConfidentErrors | None:
    """:func:`~gapgates.compute.noise.confident_errors` of a reference's out-of-fold predictions: each row's from the
    first fold that tests it (the first repeat of k-fold), rows no fold tests left out."""
    from gapgates.compute.noise import contradictions

    n = len(y)
    conf, pred = np.full(n, np.nan), np.full(n, -1)
    for (_, test), p in zip(folds, predicted, strict=True):
        if p is None:
            return None
        fresh = np.isnan(conf[test])
        conf[test[fresh]], pred[test[fresh]] = p[0][fresh], p[1][fresh]
    seen = ~np.isnan(conf)
    if not seen.any():
        return None
    labels = np.searchsorted(classes, np.asarray(y)[seen])
    return contradictions(conf[seen], pred[seen] != labels, share=share)


def strong_baseline(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    splits: Splits,
    scoring: Sequence[str],
    classification: bool,
    models: Sequence[str] = STRONG_MODELS,
    seed: int = 0,
    max_rows: int | None = None,
    confident_share: float | None = None,
    n_jobs: int | None = None,
) -> StrongBaselineResult | None:
    """Score the strong baseline's reference models on the candidate's folds (cached in the process).

    Args:
        X: Features (text columns are one-hot encoded for the linear model, ordinal-coded for boosting).
        y: Target.
        splits: The folds the candidate was scored on (added repeats included), in its order.
        scoring: sklearn scoring names; the first is the primary metric.
        classification: Classifiers or regressors.
        models: Which references (:data:`STRONG_MODELS`); empty: none (returns None).
        seed: Seed of the boosting model and of the row cap's sample.
        max_rows: Fit each fold's reference on at most this many of its training rows (a random subset; the test
            rows are all scored, so the folds stay paired). None: every row.
        confident_share: Classification: the share of rows counted as each reference's surest for its
            :attr:`ReferenceScores.confident` (the policy's ``[noise] confident_share``); None: not computed.
        n_jobs: Folds fitted in parallel (joblib processes; None or 1: one at a time). The numbers do not depend
            on it: every fold's reference is seeded.

    Returns:
        The references' per-fold scores and the best of them; None when ``models`` is empty.

    Raises:
        ValueError: When a model name is not one of :data:`STRONG_MODELS`.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from gapgates.data.splits import make_splits
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> folds = make_splits(X, y, classification=True, n_splits=3, n_repeats=1, seed=0)
        >>> strong_baseline(X, y, splits=folds, scoring=["accuracy"], classification=True).best in STRONG_MODELS
        True
    """
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate

    from gapgates.compute.crossval import thread_limits

    unknown = [m for m in models if m not in STRONG_MODELS]
    if unknown:
        raise ValueError(f"The strong baseline's models must be among {', '.join(STRONG_MODELS)}. Got {unknown}.")
    if not models:
        return None
    predict = classification and confident_share is not None
    data = _data_key(X, y, (tuple(scoring), classification, seed, max_rows, predict))
    folds = [(np.asarray(tr), np.asarray(te)) for tr, te in splits]
    classes = np.unique(np.asarray(y)) if predict else None
    subsampled = max_rows is not None and any(len(tr) > max_rows for tr, _ in folds)
    references, fits = [], 0
    disk = disk_cache.cache_dir()
    fitted: dict[str, disk_cache.Entry] = {}  # the folds fitted here, for the disk cache: written once, after every reference
    for name in models:
        keys = [_fold_key(data, name, tr, te) for tr, te in folds]
        missing = _unscored(keys, folds, disk=disk, scoring=scoring, predict=predict)
        if missing:
            model, _ = _reference_model(name, X, classification=classification, seed=seed)
            cv = [(_capped(folds[i][0], keys[i], seed=seed, max_rows=max_rows), folds[i][1]) for i in missing]
            scorers = resolve_scoring(scoring, model)
            # with predictions, n_jobs folds at a time: the fitted models of a batch are dropped once their test
            # rows are predicted, before the next batch is fitted
            workers = max(1, n_jobs or 1)
            step = workers if predict else max(1, len(cv))
            batches = [list(range(start, min(start + step, len(cv)))) for start in range(0, len(cv), step)]
            for batch in batches:
                parallel = workers if workers > 1 and len(batch) > 1 else None  # one pool size: loky keeps its workers
                # the run's native thread share, divided among the workers (as the gap pass's: the same loky pool)
                with thread_limits(parallel):
                    raw = cross_validate(
                        clone(model),
                        X,
                        y,
                        scoring=scorers,
                        cv=[cv[j] for j in batch],
                        return_train_score=True,
                        return_estimator=predict,
                        error_score="raise",
                        n_jobs=parallel,
                    )
                for b, j in enumerate(batch):
                    i = missing[j]
                    predicted = None if classes is None else _predicted(raw["estimator"][b], X.iloc[folds[i][1]], classes)
                    _store(
                        keys[i],
                        (
                            {m: float(raw[f"train_{m}"][b]) for m in scoring},
                            {m: float(raw[f"test_{m}"][b]) for m in scoring},
                            predicted,
                        ),
                    )
                del raw
            fits += len(missing)
            fitted.update((keys[i], _CACHE[keys[i]]) for i in missing)
        for key in keys:
            _CACHE.move_to_end(key)
        scores = [_CACHE[key] for key in keys]
        confident = None
        if classes is not None and confident_share is not None:
            confident = _confident(y, classes, folds, [p for _, _, p in scores], share=confident_share)
        references.append(
            ReferenceScores(
                name=name,
                model=_describe(name, classification=classification),
                train={m: tuple(train[m] for train, _, _ in scores) for m in scoring},
                test={m: tuple(test[m] for _, test, _ in scores) for m in scoring},
                confident=confident,
            )
        )
    if disk is not None and fitted:
        disk_cache.store(disk, fitted)  # one write pass and one pruning scan of the directory per call
    _evict()
    primary = scoring[0]
    best = max(references, key=lambda r: r.test_mean(primary)).name
    result = StrongBaselineResult(
        references=tuple(references),
        best=best,
        metric=primary,
        n_train=float(np.mean([len(tr) for tr, _ in splits])),
        n_test=float(np.mean([len(te) for _, te in splits])),
        fits=fits,
        max_rows=max_rows,
        subsampled=subsampled,
    )
    return result
