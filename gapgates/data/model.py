"""Turning ``--model`` / ``--param`` strings into a scikit-learn estimator."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gapgates.errors import ConfigError, UserCodeError, first_line, fix

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.data.libraries import Library

__all__ = [
    "FILE_MODULE_PREFIX",
    "accepted_params",
    "build_model",
    "encode_features",
    "parse_params",
    "resolve_model",
    "seed_estimator",
    "text_columns",
    "unlisted_params",
]

#: The module name a model loaded from ``--model path.py:NAME`` is imported under starts with this (then a hash of
#: the path): a name no other process imports, so such a class cannot be loaded back from a registry.
FILE_MODULE_PREFIX = "_gapgates_model_"


def _parse_value(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_params(items: Iterable[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings; values that look like numbers, bools or none become those.

    Args:
        items: ``["max_depth=3", "criterion=gini"]``, or a mapping (returned as a dict).

    Returns:
        The parameters.

    Raises:
        ConfigError: If an item has no ``=``, or a key is given twice.

    Example:
        >>> parse_params(["max_depth=3", "C=0.5", "fit_intercept=false", "criterion=gini"])
        {'max_depth': 3, 'C': 0.5, 'fit_intercept': False, 'criterion': 'gini'}
    """
    if isinstance(items, Mapping):
        return dict(items)
    params: dict[str, Any] = {}
    given: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        name = key.strip()
        if not sep or not name:
            raise ConfigError(f"A --param must look like KEY=VALUE (e.g. max_depth=3). Got {item!r}.")
        if name in given:  # which one was meant? the last one used to win silently
            raise ConfigError(f"--param {name} is given twice ({given[name]} and {item}). Give it once.")
        given[name], params[name] = item, _parse_value(value)
    return params


def _default_name(spec: str) -> str:
    return spec.rsplit(":", 1)[-1].rsplit(".", 1)[-1] or spec


def _load_from_file(spec: str, name: str) -> Any:
    from gapgates.data.guard import calling

    path_text, _, attr = spec.rpartition(":")
    path = Path(path_text)
    if path.is_dir():
        raise ConfigError(f"Model file '{path}' is a directory. {_use_model_file()}.")
    if not path.is_file():
        raise ConfigError(f"Model file '{path}' does not exist. {_use_model_file()}.")
    module_name = f"{FILE_MODULE_PREFIX}{abs(hash(path.resolve()))}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ConfigError(f"Model file '{path}' cannot be imported as Python.")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module  # lets pickling and joblib workers find it
    try:
        with calling(name, f"the import of its file {path.name}"):
            loader_spec.loader.exec_module(module)
            found = hasattr(module, attr)
            obj = getattr(module, attr) if found else None
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    if not found:
        raise ConfigError(f"Model file '{path}' defines no {attr!r}. Define an estimator or a zero-argument factory.")
    _pickle_by_value(module)
    return obj


def _use_model_file() -> str:
    return fix("Use --model path/to/file.py:NAME", "Pass {model}='path/to/file.py:NAME'")


def _pickle_by_value(module: Any) -> None:
    """Let joblib's and Dask's workers, which cannot import the file by its generated name, receive its classes whole."""
    for name in ("joblib.externals.cloudpickle", "cloudpickle"):
        try:
            importlib.import_module(name).register_pickle_by_value(module)
        except (ImportError, AttributeError, ValueError):  # not installed, or too old to have it
            continue


def _load_dotted(spec: str, name: str) -> Any:
    from gapgates.data.guard import calling

    module_name, _, attr = spec.rpartition(".")
    if not module_name or not all(part.isidentifier() for part in spec.split(".")):
        raise ConfigError(
            f"Unknown model {spec!r}. Use a dotted class path such as sklearn.tree.DecisionTreeClassifier "
            "or path/to/file.py:NAME."
        )
    try:
        with calling(name, f"the import of module {module_name}"):
            module = importlib.import_module(module_name)
    except UserCodeError as err:
        if isinstance(err.__cause__, ImportError):
            raise ConfigError(
                f"Unknown model {spec!r}: module {module_name!r} cannot be imported ({first_line(err.__cause__)})."
            ) from None
        raise
    with calling(name, f"the lookup of {attr} in {module_name}"):
        found = hasattr(module, attr)
        obj = getattr(module, attr) if found else None
    if not found:
        raise ConfigError(f"Unknown model {spec!r}: module {module_name!r} has no {attr!r}.")
    return obj


def _needs_arguments(obj: Any) -> bool:
    """Whether calling ``obj()`` cannot work because it requires arguments (checked without calling it)."""
    try:
        inspect.signature(obj).bind()
    except TypeError:
        return True
    except ValueError:  # no signature to read (a builtin): find out by calling it
        return False
    return False


def resolve_model(spec: str, *, name: str | None = None) -> Any:
    """Return a fresh estimator for a dotted class path or ``file.py:NAME``.

    Importing the file, calling the factory and cloning the result run under the user-code guard
    (:func:`gapgates.data.guard.calling`): anything they raise is one line naming the model.

    Args:
        spec: ``sklearn.tree.DecisionTreeClassifier`` or ``models.py:make_model``; NAME may be an
            estimator instance, an estimator class, or a zero-argument factory.
        name: The model's name in messages (default: the last part of ``spec``).

    Returns:
        An unfitted estimator: any object with ``fit``, ``get_params`` and ``set_params``.

    Raises:
        ConfigError: If the spec cannot be imported or does not give an estimator.
        UserCodeError: If the model's own code raised (importing its file, the factory, cloning).
    """
    from gapgates.data.guard import calling

    name = name or _default_name(spec)
    obj = _load_from_file(spec, name) if ".py:" in spec else _load_dotted(spec, name)
    with calling(name, "the estimator check"):
        has_fit = hasattr(obj, "fit")
    if (callable(obj) and not has_fit) or inspect.isclass(obj):
        if _needs_arguments(obj):
            raise ConfigError(
                f"Model {spec!r} cannot be built without arguments. {fix('Point --model', 'Point {model}')} at an "
                "estimator, a class whose parameters all have defaults, or a zero-argument factory."
            )
        with calling(name, f"the call {getattr(obj, '__name__', type(obj).__name__)}()"):
            obj = obj()
    with calling(name, "the estimator check"):
        missing = [m for m in ("fit", "get_params", "set_params") if not hasattr(obj, m)]
    if missing:
        raise ConfigError(
            f"Model {spec!r} is not a scikit-learn estimator (it has no {'/'.join(missing)}). "
            "Give an object with fit, get_params and set_params."
        )
    from sklearn.base import clone

    with calling(name, "clone (get_params)"):
        return clone(obj)


def build_model(spec: str, params: Mapping[str, Any] | Iterable[str] = (), *, name: str | None = None) -> Any:
    """Resolve a model spec and set its parameters, through the estimator's public API only.

    Parameter names are checked against ``get_params()`` here; their values are checked by the
    estimator itself when it is fit (the first fold), and a refusal is one line naming the model,
    the step and the fold.

    Raises:
        ConfigError: If a parameter is unknown.
        UserCodeError: If the model's own code raised (see :func:`resolve_model`, ``set_params``).
    """
    from gapgates.data.guard import calling

    name = name or _default_name(spec)
    estimator = resolve_model(spec, name=name)
    values = parse_params(params)
    kind = type(estimator).__name__
    with calling(name, "get_params"):
        valid, open_ended = accepted_params(estimator)
    for key in values:
        if key not in valid and not open_ended:
            shown = ", ".join(sorted(str(k) for k in valid if "__" not in str(k))[:20])
            raise ConfigError(f"Model parameter {key!r} is not accepted by {kind}. Valid parameters: {shown}.")
    if values:
        with calling(name, "set_params"):
            estimator.set_params(**values)
    return estimator


def accepted_params(estimator: Any) -> tuple[set[str], bool]:
    """The parameter names an estimator accepts, and whether it takes any other name too.

    The names are those of ``get_params(deep=True)`` and of its constructor's signature: CatBoost's
    ``get_params()`` lists only the parameters that were set, and LightGBM's and XGBoost's constructors take
    ``**kwargs`` (``verbose``, ``categorical_column``...), which their ``set_params`` accept and the library
    checks when it fits. A constructor with ``**kwargs`` (not a Pipeline's) accepts any name.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> names, open_ended = accepted_params(DecisionTreeClassifier())
        >>> "max_depth" in names, open_ended
        (True, False)
    """
    names = {str(k) for k in estimator.get_params(deep=True)}
    open_ended = False
    try:
        signature = inspect.signature(type(estimator).__init__)
    except (TypeError, ValueError):  # no signature to read
        return names, False
    for parameter in list(signature.parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            open_ended = not _is_user_pipeline(estimator)
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            names.add(parameter.name)
    return names, open_ended


def unlisted_params(estimator: Any, params: Mapping[str, Any]) -> list[str]:
    """The given parameters an open-ended estimator (a constructor with ``**kwargs``: XGBoost, LightGBM) does not
    name: accepted, and checked by the library only when it fits, which ignores a misspelt name with a warning
    (hidden while the library is quiet).

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> unlisted_params(DecisionTreeClassifier(), {"max_depth": 2})
        []
    """
    from gapgates.data.libraries import library_of

    names, open_ended = accepted_params(estimator)
    library = library_of(estimator)
    if library is not None:  # the parameters gapgates itself knows the library by
        names |= library.log_params | library.categorical_params | set(library.quiet) | set(library.defaults)
    return [key for key in params if open_ended and key not in names]


def seed_estimator(estimator: Any, seed: int) -> Any:
    """Set every ``random_state`` left at None (nested ones too) to ``seed``, for reproducible runs; a boosting
    library whose ``get_params()`` lists only what was set (CatBoost) gets it as its own seed parameter unless one
    was set (:attr:`gapgates.data.libraries.Library.seed`)."""
    from gapgates.data.guard import calling
    from gapgates.data.libraries import library_of

    name = type(estimator).__name__
    with calling(name, "get_params"):
        current = estimator.get_params(deep=True)
    unset = {k: seed for k, v in current.items() if str(k).endswith("random_state") and v is None}
    library = library_of(estimator)
    if library is not None and library.seed is not None and not set(current) & library.seed_params:
        unset[library.seed] = seed
    if unset:
        with calling(name, "set_params"):
            estimator.set_params(**unset)
    return estimator


def _has_tags(estimator: Any) -> bool:
    from sklearn.utils import get_tags

    try:
        get_tags(estimator)
    except Exception:  # an estimator written before scikit-learn's tags (1.6)
        return False
    return True


def _is_user_pipeline(estimator: Any) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    return isinstance(estimator, (Pipeline, ColumnTransformer))


#: Columns a text column is one-hot encoded into, at most: with more values than this, its most frequent values and
#: one column for the rest (and unseen values). The encoding is dense, so without a cap an identifier column of 5,000
#: values in 20,000 rows alone makes a matrix of 800 MB, and 40 of them do not fit in memory.
MAX_CATEGORIES = 20


def text_columns(X: pd.DataFrame) -> list[str]:
    """The columns gapgates encodes for a model: those whose dtype is neither numeric nor boolean."""
    return [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]


def lumped_columns(estimator: Any, X: pd.DataFrame) -> dict[str, int]:
    """The text columns :func:`encode_features` one-hot encodes into fewer columns than they have values.

    A column of more than :data:`MAX_CATEGORIES` values (a missing value counts as one) keeps its
    ``MAX_CATEGORIES - 1`` most frequent values as columns; the others share one. A user ``Pipeline`` and a boosting
    library's model given categorical codes encode every value: nothing is lumped for them.

    Args:
        estimator: The unfitted estimator, before :func:`encode_features`.
        X: The features it will be fitted on.

    Returns:
        ``{column: number of distinct values}``, in the table's column order.

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = pd.DataFrame({"state": [f"s{i}" for i in range(30)], "x": range(30)})
        >>> lumped_columns(LogisticRegression(), X)
        {'state': 30}
    """
    from gapgates.data.libraries import library_of

    if _is_user_pipeline(estimator):
        return {}
    library = library_of(estimator)
    if library is not None and library.categorical is not None:
        return {}
    counts = {c: int(X[c].nunique(dropna=False)) for c in text_columns(X)}
    return {c: n for c, n in counts.items() if n > MAX_CATEGORIES}


def encode_features(estimator: Any, X: pd.DataFrame, y: pd.Series | None = None) -> Any:
    """Wrap an estimator so text columns are encoded inside each fold, and class labels when the model needs it.

    Columns whose dtype is not numeric or boolean are one-hot encoded, each into at most :data:`MAX_CATEGORIES`
    columns (``OneHotEncoder(max_categories=..., handle_unknown="infrequent_if_exist")``: beyond that many values,
    the rarest values and unseen ones together in the last); the rest pass through. A boosting library's model
    (:mod:`gapgates.data.libraries`) gets them as categorical codes placed first (``OrdinalEncoder``; missing and
    unseen values are its missing value), with the parameters that tell it which columns they are; when the user set
    one of those, the table reaches the model as it is. A user ``Pipeline`` is returned unchanged: it owns its
    preprocessing. A classifier that takes only labels ``0..n-1`` (XGBoost) is fitted on codes and answers with
    ``y``'s labels (:class:`gapgates.data.labels.EncodedLabels`).

    Args:
        estimator: The unfitted estimator.
        X: The features it will be fitted on.
        y: The target, when known (its labels decide whether they need codes).

    Returns:
        The estimator, or a ``Pipeline(encode → estimator)``.
    """
    from gapgates.data.libraries import library_of

    if _is_user_pipeline(estimator):
        return estimator
    library = library_of(estimator)
    if library is not None:  # its parameters change below: the caller's estimator stays as it was
        from sklearn.base import clone

        from gapgates.data.guard import calling

        with calling(type(estimator).__name__, "clone (get_params)"):
            estimator = clone(estimator)
        if library.label_codes and y is not None and _is_classifier(estimator):
            from gapgates.data.labels import EncodedLabels, needs_codes

            if needs_codes(y):
                estimator = EncodedLabels(estimator)
    categorical = text_columns(X)
    if not categorical:
        return estimator
    if not _has_tags(estimator):  # scikit-learn's Pipeline reads its last step's tags
        from gapgates.data.guard import GuardedModel

        estimator = GuardedModel(estimator, name=type(estimator).__name__)
    from sklearn.pipeline import Pipeline

    if library is not None and library.categorical is not None:
        if _categories_given(estimator, library):  # the user told the library its columns: the table is theirs
            return estimator
        encoder = _ordinal_encoder(categorical, library)
        _set_inner(estimator, library.categorical(len(categorical), X.shape[1]))
    else:
        encoder = _one_hot_encoder(categorical)
    return Pipeline([("encode", encoder), ("model", estimator)])


def _is_classifier(estimator: Any) -> bool:
    from gapgates.data.guard import model_kind

    return model_kind(estimator) == "classifier"


def _inner(estimator: Any) -> Any:
    """The library's model inside the label wrapper."""
    from gapgates.data.labels import EncodedLabels

    return estimator.estimator if isinstance(estimator, EncodedLabels) else estimator


def _categories_given(estimator: Any, library: Library) -> bool:
    """Whether the user told the library its categorical columns (a parameter of them set to anything but off)."""
    params = _inner(estimator).get_params(deep=False)
    return any(params.get(name) not in (None, False) for name in library.categorical_params)


def _set_inner(estimator: Any, params: dict[str, Any]) -> None:
    from gapgates.data.guard import calling

    model = _inner(estimator)
    with calling(type(model).__name__, "set_params"):
        model.set_params(**params)


def _one_hot_encoder(categorical: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    return ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES, sparse_output=False),
                categorical,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )


def _ordinal_encoder(categorical: list[str], library: Library) -> Any:
    """Text columns as integer codes, first; the other columns after them, unchanged."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    missing: Any = np.nan if library.codes_dtype is float else -1
    codes = OrdinalEncoder(
        dtype=np.float64 if library.codes_dtype is float else np.int64,
        handle_unknown="use_encoded_value",
        unknown_value=missing,
        encoded_missing_value=missing,
    )
    encoder = ColumnTransformer([("categorical", codes, categorical)], remainder="passthrough", verbose_feature_names_out=False)
    return encoder.set_output(transform="pandas") if library.frame_output else encoder
