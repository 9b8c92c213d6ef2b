"""Model registries: versions, an atomically switched ``production`` alias, an audit log.

Example:
    >>> from gapgates.registry import open_registry
    >>> reg = open_registry("registry")  # doctest: +SKIP
    >>> reg.production  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gapgates.config import is_mlflow
from gapgates.errors import ConfigError
from gapgates.registry.base import ACTIONS, AuditEntry, Registry, VersionInfo
from gapgates.registry.local import LocalRegistry

__all__ = ["ACTIONS", "AuditEntry", "LocalRegistry", "MlflowRegistry", "Registry", "VersionInfo", "open_registry"]


def open_registry(
    location: str | Path, *, model_name: str | None = None, alias: str | None = None, **options: Any
) -> Registry:
    """Open a registry from a location.

    Args:
        location: A directory (``LocalRegistry``), or ``mlflow:<tracking uri>`` for
            :class:`~gapgates.registry.mlflow.MlflowRegistry` (``mlflow:sqlite:///mlflow.db``).
        model_name: The model whose versions to use. An MLflow store can hold many registered
            models; a directory holds one model's versions, so it ignores this.
        alias: The MLflow alias that marks production (None: ``champion``). A directory has one
            production pointer and takes none.
        **options: Passed to the registry class.

    Returns:
        The registry.

    Raises:
        ConfigError: When an alias is given for a directory registry.
    """
    text = str(location)
    if is_mlflow(text):
        from gapgates.registry.mlflow import MlflowRegistry

        if alias is not None:
            options["alias"] = alias
        return MlflowRegistry(text.removeprefix("mlflow:"), model_name=model_name, **options)
    if alias is not None:
        raise ConfigError(
            "The 'alias' option names the MLflow alias that marks production; a directory registry has none. "
            f"Got alias={alias!r} for the registry '{text}'. Drop it, or use an mlflow: registry."
        )
    return LocalRegistry(location, **options)


def __getattr__(name: str) -> Any:
    if name == "MlflowRegistry":
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry
    raise AttributeError(f"module 'gapgates.registry' has no attribute {name!r}")
