"""Model registries: versions, an atomically switched ``production`` alias, an audit log.

Example:
    >>> from gapgates.registry import open_registry
    >>> reg = open_registry("registry")  # doctest: +SKIP
    >>> reg.production  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gapgates.registry.base import ACTIONS, AuditEntry, Registry, VersionInfo
from gapgates.registry.local import LocalRegistry

__all__ = ["ACTIONS", "AuditEntry", "LocalRegistry", "MlflowRegistry", "Registry", "VersionInfo", "open_registry"]


def open_registry(location: str | Path, **options: Any) -> Registry:
    """Open a registry from a location.

    Args:
        location: A directory (``LocalRegistry``), or ``mlflow:<tracking uri>`` for
            :class:`~gapgates.registry.mlflow.MlflowRegistry` (``mlflow:sqlite:///mlflow.db``).
        **options: Passed to the registry class.

    Returns:
        The registry.
    """
    text = str(location)
    if text.startswith("mlflow:"):
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry(text.removeprefix("mlflow:"), **options)
    return LocalRegistry(location, **options)


def __getattr__(name: str) -> Any:
    if name == "MlflowRegistry":
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry
    raise AttributeError(f"module 'gapgates.registry' has no attribute {name!r}")
