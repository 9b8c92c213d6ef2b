"""Calling the model's own code: one guard, in this process and in joblib or Dask workers.

Everything gapgates calls on a user's model — importing its file, calling its factory,
``get_params``/``set_params``/``clone``, ``fit``, ``predict``, ``predict_proba``,
``decision_function``, ``score`` — runs under :func:`calling`. Whatever the model raises,
``SystemExit``, ``os._exit`` and ``MemoryError`` included, becomes one
:class:`~gapgates.errors.UserCodeError` naming the model, the step and the fold: a model never
decides gapgates' exit code. ``KeyboardInterrupt`` stays an interrupt.

Outside this process the guard travels with the model: :class:`GuardedModel` is a thin
scikit-learn meta-estimator that ``cross_validate`` clones, pickles to its workers and fits
there like any estimator. It also checks every output of the model (:func:`output_problem`):
the right shape, finite values, probabilities in [0, 1] whose rows sum to 1. An invalid output
is recorded on the fold model (:func:`output_problems`), never repaired; the judge fails the
gate on it, and label-noise detection refuses to run on it. A scorer that fails *because* of a
recorded invalid output scores NaN (:class:`GuardedScorer`), so the run goes on to that verdict.

Example:
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> model = GuardedModel(DecisionTreeClassifier(), name="tree")
    >>> model.fit([[0], [1]], [0, 1]).predict([[1]]).tolist()
    [1]
"""

from __future__ import annotations

import hashlib
import os
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from gapgates.errors import GapGatesError, UserCodeError, brief, first_line, fix

__all__ = [
    "PROBA_TOLERANCE",
    "RECORDED",
    "FoldLocator",
    "GuardedModel",
    "GuardedScorer",
    "Replay",
    "calling",
    "guarded",
    "locate_folds",
    "model_kind",
    "output_problem",
    "output_problems",
    "recorded",
    "unwrap",
]

#: The outputs a fold model keeps of its own fold: every response on its test rows, predictions on its training rows.
RECORDED = frozenset({("test", "predict"), ("test", "predict_proba"), ("test", "decision_function"), ("training", "predict")})

#: How far a probability may lie outside [0, 1], and a row's sum away from 1, before it is invalid.
PROBA_TOLERANCE = 1e-4

_OWNER = os.getpid()
_REAL_EXIT = os._exit
_EXIT_LOCK = threading.Lock()
_EXIT_GUARDS = 0


class _ProcessExit(SystemExit):
    """``os._exit`` called by user code inside the guard (raised instead of ending the process)."""


def _refuse_exit(status: int) -> NoReturn:
    if os.getpid() != _OWNER:  # a child forked while the guard was on: let it end normally
        _REAL_EXIT(status)
    raise _ProcessExit(status)


@contextmanager
def _no_process_exit() -> Iterator[None]:
    """``os._exit`` raises instead of ending this process while any guard is on (threads share the count)."""
    global _EXIT_GUARDS
    with _EXIT_LOCK:
        _EXIT_GUARDS += 1
        os._exit = _refuse_exit
    try:
        yield
    finally:
        with _EXIT_LOCK:
            _EXIT_GUARDS -= 1
            if _EXIT_GUARDS == 0:
                os._exit = _REAL_EXIT


def user_code_error(model: str, step: str, where: str, err: BaseException) -> UserCodeError:
    """The one-line error of a model that raised (or tried to exit) in ``step``.

    Example:
        >>> str(user_code_error("M", "fit", "on fold 2 of 5", RuntimeError("boom")))
        'The model M raised RuntimeError in fit on fold 2 of 5: boom.'
    """
    place = f"{step} {where}".strip()
    if isinstance(err, SystemExit):
        call = "os._exit" if isinstance(err, _ProcessExit) else "sys.exit"
        return UserCodeError(
            f"The model {model} called {call}({brief(repr(err.code), 40)}) in {place}; a model cannot "
            "end the gate, so nothing was promoted. Remove the exit from the model's code."
        )
    if isinstance(err, MemoryError):
        return UserCodeError(
            f"The model {model} ran out of memory (MemoryError) in {place}. "
            f"Use a smaller model or {fix('fewer --n-jobs', 'a smaller {n_jobs}')}."
        )
    detail = first_line(err)
    said = "" if detail == type(err).__name__ else f": {detail.rstrip('.')}"
    return UserCodeError(f"The model {model} raised {type(err).__name__} in {place}{said}.")


@contextmanager
def calling(model: str, step: str, where: str = "") -> Iterator[None]:
    """Run user code: anything it raises (``SystemExit`` and ``os._exit`` too) becomes one :class:`UserCodeError`.

    Args:
        model: The model's name, for the message.
        step: What was called (``"fit"``, ``"predict_proba"``, ``"the factory make_model()"``).
        where: Which rows (``"on fold 2 of 5"``), or "".

    Raises:
        UserCodeError: Naming the model, the step and the rows. ``KeyboardInterrupt`` and
            gapgates' own errors pass unchanged.
    """
    try:
        with _no_process_exit():
            yield
    except (GapGatesError, KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as err:  # SystemExit and MemoryError too: user code never decides the exit code
        raise user_code_error(model, step, where, err) from err


# -- which fold a call is about ------------------------------------------------------------------


def _digest(rows: Any) -> str:
    values = np.ascontiguousarray(np.asarray(rows))
    return hashlib.blake2b(values.tobytes() + str(values.dtype).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class FoldLocator:
    """Tells which fold a table passed to the model is, from its row labels (the index of ``X``).

    Attributes:
        sides: ``{digest of the row labels: (fold number from 1, "training" or "test")}``.
        total: The number of folds.
        unique: Whether the row labels were unique (only then does a table's labels tell its rows).
    """

    sides: dict[str, tuple[int, str]] = field(default_factory=dict)
    total: int = 0
    unique: bool = False

    def find(self, X: Any) -> tuple[int, str] | None:
        """``(fold number from 1, "training" or "test")`` of a table whose rows are exactly one side of a fold."""
        index = getattr(X, "index", None)
        return None if index is None else self.sides.get(_digest(index))

    def where(self, X: Any, *, fitting: bool = False) -> str:
        """``"on fold 2 of 5"`` (fitting), ``"on the test rows of fold 2 of 5"``, or ``"on 120 rows"``."""
        return self.describe(X, self.find(X), fitting=fitting)

    def describe(self, X: Any, found: tuple[int, str] | None, *, fitting: bool = False) -> str:
        """:meth:`where` for a table whose :meth:`find` the caller already has (its rows are not hashed again)."""
        if found is None:
            rows = _rows(X)
            return "" if rows is None else f"on {rows} rows"
        fold, side = found
        return f"on fold {fold} of {self.total}" if fitting else f"on the {side} rows of fold {fold} of {self.total}"


def locate_folds(X: Any, splits: Sequence[tuple[Any, Any]], *, first: int = 0, total: int | None = None) -> FoldLocator:
    """A :class:`FoldLocator` for ``splits`` of ``X`` (positions into ``X``; fold numbers start at ``first + 1``)."""
    labels = np.asarray(X.index)
    sides: dict[str, tuple[int, str]] = {}
    for number, (train, test) in enumerate(splits, start=first + 1):
        sides[_digest(labels[np.asarray(train)])] = (number, "training")
        sides.setdefault(_digest(labels[np.asarray(test)]), (number, "test"))
    import pandas as pd

    return FoldLocator(sides=sides, total=total if total is not None else len(splits), unique=bool(pd.Index(labels).is_unique))


def _finite_number(value: Any) -> bool:
    try:
        return bool(np.isfinite(np.asarray(value, dtype=float)).all())
    except (TypeError, ValueError):
        return False


def _rows(X: Any) -> int | None:
    try:
        return len(X)
    except TypeError:
        return None


# -- what kind of model ------------------------------------------------------------------------


def model_kind(estimator: Any) -> str | None:
    """``"classifier"``, ``"regressor"`` or None, through scikit-learn's tags or the older ``_estimator_type``.

    Third-party estimators that predate scikit-learn's tags (no ``__sklearn_tags__``) declare their
    kind with ``_estimator_type``; a Pipeline is the kind of its last step.

    Example:
        >>> from sklearn.linear_model import LinearRegression
        >>> model_kind(LinearRegression())
        'regressor'
    """
    from sklearn.utils import get_tags

    try:
        kind = get_tags(estimator).estimator_type
    except Exception:  # no tags at all: an estimator written before scikit-learn 1.6
        kind = None
    if kind in {"classifier", "regressor"}:
        return kind
    declared = getattr(estimator, "_estimator_type", None)
    if declared in {"classifier", "regressor"}:
        return declared
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[-1], tuple) and len(steps[-1]) == 2:
        return model_kind(steps[-1][1])
    return None


# -- the model's outputs ---------------------------------------------------------------------------


def _as_array(out: Any) -> np.ndarray | str:
    try:
        return np.asarray(out)
    except Exception as err:  # an object whose __array__ raises
        return f"returned a {type(out).__name__} that is not an array ({first_line(err)})"


def _count(mask: np.ndarray, total: int, what: str) -> str:
    return f"{int(mask.sum())} of {total} values are {what}"


def _non_finite(values: np.ndarray) -> str | None:
    if values.dtype.kind == "c":
        return "the values are complex numbers"
    if values.dtype.kind not in "biuf":
        return f"the values are not numbers (dtype {values.dtype})"
    numbers = values.astype(float, copy=False)
    if np.isnan(numbers).any():
        return _count(np.isnan(numbers), numbers.size, "NaN")
    if np.isinf(numbers).any():
        return _count(np.isinf(numbers), numbers.size, "infinite")
    return None


def _label_problem(values: np.ndarray) -> str | None:
    if values.dtype.kind in "biu":
        return None
    if values.dtype.kind in "fc":
        return _non_finite(values)
    missing = np.array([v is None or (isinstance(v, float) and v != v) for v in values.ravel()], dtype=bool)
    return _count(missing, values.size, "missing (None or NaN)") if missing.any() else None


def output_problem(method: str, out: Any, *, rows: int, classification: bool, n_classes: int | None = None) -> str | None:
    """What is wrong with one output of a model, or None when it is valid.

    Args:
        method: ``predict``, ``predict_proba`` or ``decision_function``.
        out: What the method returned.
        rows: How many rows were passed.
        classification: Whether the model is a classifier (labels may be text; values must be finite otherwise).
        n_classes: The model's number of classes (for the columns of probabilities), if known.

    Returns:
        One phrase (``"12 of 60 values are NaN"``), or None.

    Example:
        >>> output_problem("predict_proba", [[0.5, 0.5], [0.9, 0.3]], rows=2, classification=True)
        'row 1 sums to 1.2, not 1'
    """
    values = _as_array(out)
    if isinstance(values, str):
        return values
    if method == "predict":
        if values.shape not in {(rows,), (rows, 1)}:
            return f"the shape is {values.shape}, expected ({rows},)"
        return _label_problem(values) if classification else _non_finite(values)
    if method == "predict_proba":
        columns = n_classes if n_classes is not None else (values.shape[1] if values.ndim == 2 else 0)
        if values.ndim != 2 or values.shape != (rows, columns) or columns < 1:
            return f"the shape is {values.shape}, expected ({rows}, {n_classes if n_classes is not None else 'classes'})"
        bad = _non_finite(values)
        if bad:
            return bad
        numbers = values.astype(float, copy=False)
        if numbers.size and (numbers.min() < -PROBA_TOLERANCE or numbers.max() > 1 + PROBA_TOLERANCE):
            return f"probabilities lie outside [0, 1] (from {numbers.min():.4g} to {numbers.max():.4g})"
        sums = numbers.sum(axis=1)
        off = np.abs(sums - 1.0) > PROBA_TOLERANCE
        if off.any():
            worst = int(np.argmax(np.abs(sums - 1.0)))
            others = f" ({int(off.sum())} rows are off)" if off.sum() > 1 else ""
            return f"row {worst} sums to {sums[worst]:.4g}, not 1{others}"
        return None
    if values.ndim == 0 or values.shape[0] != rows or values.ndim > 2:
        return f"the shape is {values.shape}, expected ({rows},) or ({rows}, classes)"
    return _non_finite(values)


def fits_shape(method: str, out: Any, rows: int, columns: int | None = None) -> bool:
    """Whether an output can be stored row by row (its values may still be invalid)."""
    values = _as_array(out)
    if isinstance(values, str):
        return False
    if method == "predict_proba":
        return (
            values.ndim == 2
            and values.dtype.kind in "biuf"
            and values.shape == (rows, columns if columns is not None else values.shape[1])
        )
    return values.shape in {(rows,), (rows, 1)}


# -- the guarded estimator -------------------------------------------------------------------------


class _IfModelHas:
    """A method of :class:`GuardedModel` that exists only when the model it holds has it (``hasattr`` tells)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.fn
        if not hasattr(obj.estimator, self.fn.__name__):
            raise AttributeError(f"{type(obj.estimator).__name__!r} object has no attribute {self.fn.__name__!r}")
        return types.MethodType(self.fn, obj)


class GuardedModel:
    """A scikit-learn estimator that runs another one under the guard and checks its outputs.

    It follows the estimator API (``get_params``, ``set_params``, ``fit``, ``predict``...), clones
    the model it holds, reports the model's kind through scikit-learn's tags, and exposes
    ``predict_proba``/``decision_function``/``score`` only when the model has them.

    Args:
        estimator: The user's estimator (or Pipeline).
        name: The model's name in messages.
        folds: Tells which fold a table is (:func:`locate_folds`), for messages; None: by row count.
        label: Which model this is when not a fold model (``"the final model"``), for messages.
    """

    def __init__(self, estimator: Any, *, name: str = "model", folds: FoldLocator | None = None, label: str = "") -> None:
        self.estimator = estimator
        self.name = name
        self.folds = folds
        self.label = label

    # -- the estimator API ---------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """``estimator``, ``name``, ``folds``, ``label`` (and the model's own, ``estimator__*``, when deep)."""
        params = {"estimator": self.estimator, "name": self.name, "folds": self.folds, "label": self.label}
        if deep:
            with calling(self.name, "get_params"):
                inner = self.estimator.get_params(deep=True)
            params.update({f"estimator__{k}": v for k, v in inner.items()})
        return params

    def set_params(self, **params: Any) -> GuardedModel:
        """Set ``estimator``, ``name``, ``folds``, ``label`` or the model's own ``estimator__*`` parameters."""
        inner = {k.removeprefix("estimator__"): v for k, v in params.items() if k.startswith("estimator__")}
        for key in ("estimator", "name", "folds", "label"):
            if key in params:
                setattr(self, key, params[key])
        if inner:
            with calling(self.name, "set_params"):
                self.estimator.set_params(**inner)
        return self

    def __sklearn_clone__(self) -> GuardedModel:
        from sklearn.base import clone

        with calling(self.name, "clone"):
            inner = clone(self.estimator)
        return GuardedModel(inner, name=self.name, folds=self.folds, label=self.label)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags, get_tags

        try:
            tags = get_tags(self.estimator)
        except Exception:  # a model without tags: scikit-learn's defaults, with the kind it declares
            tags = Tags(estimator_type=None, target_tags=TargetTags(required=True))
        kind = model_kind(self.estimator)
        tags.estimator_type = kind
        if kind == "classifier" and tags.classifier_tags is None:
            tags.classifier_tags = ClassifierTags()
        if kind == "regressor" and tags.regressor_tags is None:
            tags.regressor_tags = RegressorTags()
        return tags

    def __repr__(self) -> str:
        return f"GuardedModel({self.name})"

    # -- where a call is about -------------------------------------------------------------------
    def where(self, X: Any, *, fitting: bool = False) -> str:
        """Which rows ``X`` is, for messages (``"on the test rows of fold 2 of 5"``)."""
        return self._where(X, self._find(X), fitting=fitting)

    def _find(self, X: Any) -> tuple[int, str] | None:
        return self.folds.find(X) if self.folds is not None else None

    def _where(self, X: Any, found: tuple[int, str] | None, *, fitting: bool = False) -> str:
        where = self.folds.describe(X, found, fitting=fitting) if self.folds is not None else ""
        if not where:
            rows = _rows(X)
            where = "" if rows is None else f"on {rows} rows"
        return f"of {self.label} {where}".strip() if self.label else where

    # -- fit and predict -------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> GuardedModel:
        """Fit the model under the guard; keeps ``classes_`` (from the model, or the sorted labels)."""
        found = self._find(X)
        with calling(self.name, "fit", self._where(X, found, fitting=True)):
            self.estimator.fit(X, y, **fit_params)
        self.problems_: dict[str, None] = {}
        self.fold_ = found[0] if found is not None and found[1] == "training" else None
        self.outputs_: dict[tuple[str, str], np.ndarray] = {}
        if model_kind(self.estimator) == "classifier":
            with calling(self.name, "classes_"):
                classes = getattr(self.estimator, "classes_", None)
            self.classes_ = np.asarray(classes) if classes is not None else np.unique(np.asarray(y))
        return self

    def note(self, problem: str) -> None:
        """Record an invalid output (kept once, in order; ``notes_`` counts every time one is seen)."""
        self.__dict__.setdefault("problems_", {})[problem] = None
        self.notes_ = self.__dict__.get("notes_", 0) + 1

    def _call(self, method: str, X: Any) -> Any:
        found = self._find(X)
        where = self._where(X, found)
        with calling(self.name, method, where):
            out = getattr(self.estimator, method)(X)
        classes = getattr(self, "classes_", None)
        rows = _rows(X)
        if rows is not None:
            problem = output_problem(
                method, out, rows=rows, classification=classes is not None, n_classes=None if classes is None else len(classes)
            )
            if problem is not None:
                self.note(f"{method} {where}: {problem}".replace("  ", " "))
            elif found is not None and found[0] == self.__dict__.get("fold_") and self.folds is not None and self.folds.unique:
                self._record(found[1], method, out)
        return out

    def _record(self, side: str, method: str, out: Any) -> None:
        """Keep a valid output on this model's own fold (:data:`RECORDED`), for later steps to reuse."""
        if (side, method) in RECORDED:
            self.__dict__.setdefault("outputs_", {})[(side, method)] = np.asarray(out)

    def predict(self, X: Any) -> Any:
        """The model's predictions (checked)."""
        return self._call("predict", X)

    @_IfModelHas
    def predict_proba(self, X: Any) -> Any:
        """The model's class probabilities (checked), when it has ``predict_proba``."""
        return self._call("predict_proba", X)

    @_IfModelHas
    def decision_function(self, X: Any) -> Any:
        """The model's decision scores (checked), when it has ``decision_function``."""
        return self._call("decision_function", X)

    @_IfModelHas
    def score(self, X: Any, y: Any = None, **kwargs: Any) -> float:
        """The model's own ``score``, when it has one."""
        with calling(self.name, "score", self.where(X)):
            return self.estimator.score(X, y, **kwargs)


def recorded(estimator: Any, side: str, method: str) -> np.ndarray | None:
    """What a fold model's ``method`` returned on all the ``side`` rows (``"training"`` or ``"test"``) of its own
    fold, as the cross-validation pass scored it (None: not recorded; call the model).

    Later steps (out-of-fold probabilities, the noise-adjusted gap, weak segments) read these instead of predicting
    the same rows again; the outputs are the model's own, so every number is the same either way.
    """
    outputs = getattr(estimator, "__dict__", {}).get("outputs_")
    return None if not outputs else outputs.get((side, method))


class Replay(GuardedModel):
    """A fold model answering for some of its test rows from the outputs it recorded on all of them (no new call).

    Scorers get it in place of the model: a method with no recorded output calls the model as usual.

    Args:
        model: The fitted fold model (a :class:`GuardedModel` that recorded its test outputs).
        rows: Positions, within that fold's test rows, of the rows being scored.
    """

    def __init__(self, model: GuardedModel, rows: np.ndarray) -> None:
        super().__init__(model.estimator, name=model.name, label=model.label)
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_
        self._rows = np.asarray(rows)
        self._outputs = {method: out for (side, method), out in model.__dict__.get("outputs_", {}).items() if side == "test"}

    def _call(self, method: str, X: Any) -> Any:
        out = self._outputs.get(method)
        return super()._call(method, X) if out is None else out[self._rows]


def guarded(estimator: Any, *, name: str, folds: FoldLocator | None = None, label: str = "") -> GuardedModel:
    """``estimator`` behind the guard (a :class:`GuardedModel`; one already guarded gets the new fold map)."""
    inner = unwrap(estimator)
    return GuardedModel(inner, name=name, folds=folds, label=label)


def unwrap(estimator: Any) -> Any:
    """The user's model inside a :class:`GuardedModel` (anything else is returned as is)."""
    return estimator.estimator if isinstance(estimator, GuardedModel) else estimator


def output_problems(estimators: Sequence[Any]) -> tuple[str, ...]:
    """The invalid outputs recorded on guarded models, in order, each once."""
    seen: dict[str, None] = {}
    for est in estimators:
        for problem in getattr(est, "__dict__", {}).get("problems_", {}):
            seen[problem] = None
    return tuple(seen)


class GuardedScorer:
    """A scorer that scores NaN when it fails because the model gave an invalid output (recorded on the model).

    Any other failure is raised as before; a non-finite score is recorded on a guarded model.

    Args:
        scorer: A scikit-learn scorer, ``scorer(estimator, X, y)``.
        metric: Its scoring name, for messages.
    """

    def __init__(self, scorer: Any, metric: str) -> None:
        self.scorer = scorer
        self.metric = metric

    def __call__(self, estimator: Any, X: Any, y: Any, **kwargs: Any) -> float:
        model = estimator if isinstance(estimator, GuardedModel) else None
        before = 0 if model is None else model.__dict__.get("notes_", 0)
        try:
            score = self.scorer(estimator, X, y, **kwargs)
        except GapGatesError:
            raise
        except Exception:
            if model is not None and model.__dict__.get("notes_", 0) > before:
                return float("nan")  # the judge fails the gate on the recorded output
            raise
        if model is not None and not _finite_number(score):
            model.note(f"the {self.metric} score {model.where(X)} is {brief(repr(score), 60)}")
        return score

    def __repr__(self) -> str:
        return f"GuardedScorer({self.metric})"
