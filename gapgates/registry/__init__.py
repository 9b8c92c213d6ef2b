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
from gapgates.registry.base import ACTIONS, AuditEntry, Registry, VersionInfo
from gapgates.registry.local import LocalRegistry

__all__ = ["ACTIONS", "AuditEntry", "LocalRegistry", "MlflowRegistry", "Registry", "VersionInfo", "open_registry"]


def open_registry(location: str | Path, *, model_name: str | None = None, **options: Any) -> Registry:
    """Open a registry from a location.

    Args:
        location: A directory (``LocalRegistry``), or ``mlflow:<tracking uri>`` for
            :class:`~gapgates.registry.mlflow.MlflowRegistry` (``mlflow:sqlite:///mlflow.db``).
        model_name: The model whose versions to use. An MLflow store can hold many registered
            models; a directory holds one model's versions, so it ignores this.
        **options: Passed to the registry class.

    Returns:
        The registry.
    """
    text = str(location)
    if is_mlflow(text):
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry(text.removeprefix("mlflow:"), model_name=model_name, **options)
    return LocalRegistry(location, **options)


def __getattr__(name: str) -> Any:
    if name == "MlflowRegistry":
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry
    raise AttributeError(f"module 'gapgates.registry' has no attribute {name!r}")
