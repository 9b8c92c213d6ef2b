"""What gapgates knows of the boosting libraries users bring: XGBoost, LightGBM and CatBoost.

Each library is one frozen :class:`Library` entry in :data:`LIBRARIES`, found from the estimator's module
(:func:`library_of`); none of them is imported here. An entry says

- which parameters keep the library's own log off stdout (:attr:`Library.quiet`: set unless the run is
  ``--verbose`` or the user set one of :attr:`Library.log_params`), and what it must never do (CatBoost writes
  ``catboost_info/`` into the working directory: :attr:`Library.defaults`);
- how it takes categorical columns (:attr:`Library.categorical`): the text columns become integer codes
  (scikit-learn's ``OrdinalEncoder``, missing and unseen values as the library's missing value) placed first, and
  the library is told which columns they are — XGBoost ``enable_categorical`` with ``feature_types``, LightGBM
  ``categorical_column``, CatBoost ``cat_features`` — unless the user set one of those parameters;
- whether its classifiers need class labels ``0..n-1`` (XGBoost; :attr:`Library.label_codes`);
- the parameter that caps its iterations (:attr:`Library.iterations`) and how a fitted model predicts with its
  first ``i`` iterations only (:attr:`Library.first_iterations`), which the training curve replays.

Every model built this way holds scikit-learn's own types and the library's: nothing of gapgates'.

Example:
    >>> library_of(object()) is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LIBRARIES", "Library", "library_of", "native_defaults"]


def _xgboost_categories(count: int, total: int) -> dict[str, Any]:
    return {"enable_categorical": True, "feature_types": ["c"] * count + ["q"] * (total - count)}


def _lightgbm_categories(count: int, total: int) -> dict[str, Any]:
    # categorical_column is LightGBM's own alias of categorical_feature; the sklearn API reads categorical_feature
    # only from fit(), and warns that it ignores it among the parameters, but passes the alias to the library.
    return {"categorical_column": list(range(count))}


def _catboost_categories(count: int, total: int) -> dict[str, Any]:
    # a tuple: CatBoost's get_params returns a deep copy, and scikit-learn's clone refuses a parameter that is
    # not the object it set (a list's copy is another object; a tuple of ints is the same one)
    return {"cat_features": tuple(range(count))}


def _xgboost_first(model: Any, method: str, X: Any, iterations: int) -> Any:
    return getattr(model, method)(X, iteration_range=(0, iterations))


def _lightgbm_first(model: Any, method: str, X: Any, iterations: int) -> Any:
    return getattr(model, method)(X, num_iteration=iterations)


def _xgboost_fitted(model: Any) -> int:
    return int(model.get_booster().num_boosted_rounds())


def _lightgbm_fitted(model: Any) -> int:
    return int(model.booster_.current_iteration())


@dataclass(frozen=True)
class Library:
    """One boosting library, as gapgates handles its estimators.

    Attributes:
        name: The library's name in messages (``"LightGBM"``).
        module: The top-level module its estimators come from (``"lightgbm"``).
        quiet: Parameters that keep its log off stdout (set unless ``--verbose``).
        loud: Parameters that bring its log back (set with ``--verbose``): LightGBM's log level is global to its
            native library and a model without ``verbose`` leaves it where the last one set it.
        log_params: Parameters that set its logging: one set by the user leaves :attr:`quiet` unset.
        defaults: Parameters always set unless the user set them (CatBoost writes no files).
        categorical: ``(categorical columns, all columns) -> parameters`` telling it which leading columns are
            categorical codes; None: text columns are one-hot encoded as for any model.
        categorical_params: Parameters by which a user tells it the categorical columns; one set by the user leaves
            the table as it is (the user owns the encoding).
        codes_dtype: The codes' type: ``float`` (missing is NaN) or ``int`` (missing is -1; CatBoost refuses NaN
            in a categorical column).
        frame_output: Whether it needs the encoded table as a DataFrame (CatBoost reads integer columns as
            categories only from a frame; a NumPy array of mixed columns is all floats).
        label_codes: Whether its classifiers need class labels ``0..n-1``.
        iterations: The parameter that caps its iterations.
        first_iterations: ``(model, method, X, i) -> output`` of the model's first ``i`` iterations; None when the
            model replays its iterations itself (``staged_predict``).
        fitted_iterations: ``model -> iterations it ran``; None with ``staged_predict``.
        seed: The parameter the run's seed goes to when ``get_params()`` does not list a ``random_state`` left
            unset (CatBoost's lists only what was set); None: scikit-learn's rule (:func:`gapgates.data.model.seed_estimator`).
        seed_params: Parameters that seed it: one set by the user keeps its seed.
    """

    name: str
    module: str
    quiet: Mapping[str, Any]
    log_params: frozenset[str]
    categorical: Callable[[int, int], dict[str, Any]] | None
    categorical_params: frozenset[str]
    iterations: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    loud: Mapping[str, Any] = field(default_factory=dict)
    codes_dtype: type = float
    frame_output: bool = False
    label_codes: bool = False
    first_iterations: Callable[[Any, str, Any, int], Any] | None = None
    fitted_iterations: Callable[[Any], int] | None = None
    seed: str | None = None
    seed_params: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"Library({self.name})"


XGBOOST = Library(
    name="XGBoost",
    module="xgboost",
    quiet={"verbosity": 0},
    log_params=frozenset({"verbosity", "silent"}),
    categorical=_xgboost_categories,
    categorical_params=frozenset({"enable_categorical", "feature_types"}),
    iterations="n_estimators",
    label_codes=True,
    first_iterations=_xgboost_first,
    fitted_iterations=_xgboost_fitted,
)
LIGHTGBM = Library(
    name="LightGBM",
    module="lightgbm",
    quiet={"verbose": -1},
    loud={"verbose": 1},
    log_params=frozenset({"verbose", "verbosity"}),
    categorical=_lightgbm_categories,
    categorical_params=frozenset(
        {"categorical_feature", "categorical_column", "cat_feature", "cat_column", "categorical_features"}
    ),
    iterations="n_estimators",
    first_iterations=_lightgbm_first,
    fitted_iterations=_lightgbm_fitted,
)
CATBOOST = Library(
    name="CatBoost",
    module="catboost",
    quiet={"verbose": False},
    log_params=frozenset({"verbose", "silent", "logging_level", "verbose_eval", "metric_period"}),
    defaults={"allow_writing_files": False},
    categorical=_catboost_categories,
    categorical_params=frozenset({"cat_features"}),
    codes_dtype=int,
    frame_output=True,
    iterations="iterations",
    seed="random_seed",
    seed_params=frozenset({"random_seed", "random_state"}),
)

#: The libraries gapgates handles natively; any other estimator is handled as scikit-learn's are.
LIBRARIES: tuple[Library, ...] = (XGBOOST, LIGHTGBM, CATBOOST)


def library_of(estimator: Any) -> Library | None:
    """The boosting library an estimator comes from (by its class's module), or None."""
    module = type(estimator).__module__.split(".", 1)[0]
    return next((lib for lib in LIBRARIES if lib.module == module), None)


def native_defaults(estimator: Any, *, given: Iterable[str] = (), verbose: bool = False) -> Any:
    """Set a boosting estimator's quiet and safe defaults (in place; any other estimator is returned as is).

    Args:
        estimator: The unfitted estimator, as built from ``--model``/``--param``.
        given: The parameters the user set: none of them is changed, and one that sets the library's logging
            leaves its logging alone.
        verbose: Keep the library's own log (``--verbose``).

    Returns:
        The estimator.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> native_defaults(DecisionTreeClassifier()).get_params()["max_depth"] is None
        True
    """
    library = library_of(estimator)
    if library is None:
        return estimator
    given = set(given)
    params = {k: v for k, v in library.defaults.items() if k not in given}
    if not given & library.log_params:
        params.update(library.loud if verbose else library.quiet)
    if params:
        from gapgates.data.guard import calling

        with calling(type(estimator).__name__, "set_params"):
            estimator.set_params(**params)
    return estimator
