"""Models to bytes and back with skops: no arbitrary code runs on load.

skops refuses any type not trusted. Its defaults cover scikit-learn estimators
and numpy; :data:`TRUSTED_TYPES` lists, explicitly, the extra scikit-learn
internals fitted models contain and the boosting libraries' models (:data:`BOOSTING_TYPES`). Anything else must be trusted by name
(``LocalRegistry(path, trusted=[...])``), never wholesale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gapgates.errors import RegistryError

__all__ = ["BOOSTING_TYPES", "TRUSTED_TYPES", "dumps", "held_types", "loads", "untrusted_types"]

#: The boosting libraries' estimators and boosters (:mod:`gapgates.data.libraries`). skops rebuilds each with
#: ``cls.__new__`` and its ``__setstate__``, which hands the stored model (a string or bytes) to the library's own
#: model parser (LightGBM's ``model_from_string``, XGBoost's raw-model loader, CatBoost's stream loader): no
#: callable named by the file runs, so loading one is what loading that library's own model file is. Named one by
#: one, never a whole module; ``collections.OrderedDict`` is a plain mapping LightGBM's booster keeps its state in.
BOOSTING_TYPES: tuple[str, ...] = (
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "collections.OrderedDict",
    "catboost.core.CatBoostClassifier",
    "catboost.core.CatBoostRegressor",
)

#: Types beyond skops' defaults that gapgates trusts when loading a model: the scikit-learn internals fitted models
#: contain, the boosting libraries' models, and gapgates' own label wrapper (:class:`gapgates.data.labels.EncodedLabels`:
#: an estimator, its fitted copy and the labels, nothing else).
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    *BOOSTING_TYPES,
    "gapgates.data.labels.EncodedLabels",
)


def held_types(data: bytes) -> list[str]:
    """Every type in ``data`` beyond skops' defaults (trusted by gapgates or not): what a loader must be told to trust."""
    import skops.io as sio

    return list(sio.get_untrusted_types(data=data))


def untrusted_types(data: bytes, *, trusted: Sequence[str] = ()) -> list[str]:
    """Types in ``data`` that neither skops nor the trusted lists allow."""
    import skops.io as sio

    allowed = set(TRUSTED_TYPES) | set(trusted)
    return [t for t in sio.get_untrusted_types(data=data) if t not in allowed]


def dumps(model: Any, *, trusted: Sequence[str] = ()) -> bytes:
    """Serialise a fitted model, refusing one that could not be loaded back safely.

    Raises:
        RegistryError: When skops cannot save the model or it holds untrusted types.
    """
    import skops.io as sio

    try:
        data = sio.dumps(model)
    except Exception as err:
        raise RegistryError(f"The model cannot be saved with skops: {err}. Use a scikit-learn estimator.") from None
    from gapgates.data.model import FILE_MODULE_PREFIX

    bad = untrusted_types(data, trusted=trusted)
    from_file = [t for t in bad if t.startswith(FILE_MODULE_PREFIX)]
    if from_file:  # a generated module name no other process imports: trusting it could never load the model back
        raise RegistryError(
            f"The model holds a class defined in a file given as --model path.py:NAME ({from_file[0].rsplit('.', 1)[-1]}), "
            "which is loaded under a generated module name another process cannot import, so a registry could not "
            "load it back. Move the class into an importable module and pass --model package.module.NAME. Run "
            "without --registry to judge it without registering it."
        )
    if bad:
        raise RegistryError(
            f"The model contains types gapgates does not trust: {', '.join(bad)} (a registered model holds "
            "scikit-learn's own types only, so loading it runs no code). Run without --registry to judge it without "
            f"registering it, or register it from Python with LocalRegistry(path, trusted={list(bad)!r}) if you "
            "trust that code."
        )
    return data


def loads(data: bytes, *, trusted: Sequence[str] = ()) -> Any:
    """Load a model saved by :func:`dumps`, trusting only the listed types.

    Raises:
        RegistryError: When the file holds an untrusted type or is not a skops file.
    """
    import skops.io as sio

    try:
        bad = untrusted_types(data, trusted=trusted)
        if bad:
            raise RegistryError(f"The stored model contains untrusted types: {', '.join(bad)}. Refusing to load it.")
        return sio.loads(data, trusted=list(TRUSTED_TYPES) + list(trusted))
    except RegistryError:
        raise
    except Exception as err:
        raise RegistryError(f"The stored model cannot be loaded: {err}.") from None
