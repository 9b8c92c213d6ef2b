"""Turning ``--model`` / ``--param`` strings into a scikit-learn estimator."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from gapgates.errors import ConfigError

__all__ = ["build_model", "encode_features", "parse_params", "resolve_model", "seed_estimator"]


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
        ConfigError: If an item has no ``=``.

    Example:
        >>> parse_params(["max_depth=3", "C=0.5", "fit_intercept=false", "criterion=gini"])
        {'max_depth': 3, 'C': 0.5, 'fit_intercept': False, 'criterion': 'gini'}
    """
    if isinstance(items, Mapping):
        return dict(items)
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"A --param must look like KEY=VALUE (e.g. max_depth=3). Got {item!r}.")
        params[key.strip()] = _parse_value(value)
    return params


def _load_from_file(spec: str) -> Any:
    path_text, _, name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(f"Model file '{path}' does not exist. Use --model path/to/file.py:NAME.")
    module_name = f"_gapgates_model_{abs(hash(path.resolve()))}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ConfigError(f"Model file '{path}' cannot be imported as Python.")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module  # lets pickling and joblib workers find it
    loader_spec.loader.exec_module(module)
    if not hasattr(module, name):
        raise ConfigError(f"Model file '{path}' defines no {name!r}. Define an estimator or a zero-argument factory.")
    return getattr(module, name)


def _load_dotted(spec: str) -> Any:
    module_name, _, attr = spec.rpartition(".")
    if not module_name:
        raise ConfigError(
            f"Unknown model {spec!r}. Use a dotted class path such as sklearn.tree.DecisionTreeClassifier "
            "or path/to/file.py:NAME."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(f"Unknown model {spec!r}: module {module_name!r} cannot be imported.") from None
    if not hasattr(module, attr):
        raise ConfigError(f"Unknown model {spec!r}: module {module_name!r} has no {attr!r}.")
    return getattr(module, attr)


def resolve_model(spec: str) -> Any:
    """Return a fresh estimator for a dotted class path or ``file.py:NAME``.

    Args:
        spec: ``sklearn.tree.DecisionTreeClassifier`` or ``models.py:make_model``; NAME may be an
            estimator instance, an estimator class, or a zero-argument factory.

    Returns:
        An unfitted estimator.

    Raises:
        ConfigError: If the spec cannot be imported or does not give an estimator.
    """
    obj = _load_from_file(spec) if ".py:" in spec else _load_dotted(spec)
    if (callable(obj) and not hasattr(obj, "fit")) or inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as err:
            raise ConfigError(f"Model {spec!r} cannot be built without arguments: {err}.") from None
    if not (hasattr(obj, "fit") and hasattr(obj, "get_params")):
        raise ConfigError(f"Model {spec!r} is not a scikit-learn estimator (it has no fit/get_params).")
    from sklearn.base import clone

    return clone(obj)


def build_model(spec: str, params: Mapping[str, Any] | Iterable[str] = ()) -> Any:
    """Resolve a model spec and set its parameters, validating them as scikit-learn would.

    Raises:
        ConfigError: If a parameter is unknown or has a value the estimator rejects.
    """
    from sklearn.utils._param_validation import InvalidParameterError

    estimator = resolve_model(spec)
    values = parse_params(params)
    name = type(estimator).__name__
    valid = estimator.get_params(deep=True)
    for key in values:
        if key not in valid:
            shown = ", ".join(sorted(k for k in valid if "__" not in k)[:20])
            raise ConfigError(f"Model parameter {key!r} is not accepted by {name}. Valid parameters: {shown}.")
    estimator.set_params(**values)
    validate = getattr(estimator, "_validate_params", None)
    if callable(validate):
        try:
            validate()
        except InvalidParameterError as err:
            raise ConfigError(f"Model parameters rejected by {name}: {err}") from None
    return estimator


def seed_estimator(estimator: Any, seed: int) -> Any:
    """Set every ``random_state`` left at None (nested ones too) to ``seed``, for reproducible runs."""
    unset = {k: seed for k, v in estimator.get_params(deep=True).items() if k.endswith("random_state") and v is None}
    if unset:
        estimator.set_params(**unset)
    return estimator


def _is_user_pipeline(estimator: Any) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    return isinstance(estimator, (Pipeline, ColumnTransformer))


def encode_features(estimator: Any, X: pd.DataFrame) -> Any:
    """Wrap an estimator so non-numeric columns are one-hot encoded inside each fold.

    Columns whose dtype is not numeric or boolean are one-hot encoded
    (``OneHotEncoder(handle_unknown="ignore")``); the rest pass through. A user
    ``Pipeline`` is returned unchanged: it owns its preprocessing.

    Returns:
        The estimator, or a ``Pipeline(encode → estimator)``.
    """
    categorical = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
    if not categorical or _is_user_pipeline(estimator):
        return estimator
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    encoder = ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    return Pipeline([("encode", encoder), ("model", estimator)])
