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
from gapgates.errors import ConfigError, RegistryError
from gapgates.registry.base import ACTIONS, AuditEntry, Registry, VersionInfo
from gapgates.registry.local import LocalRegistry

__all__ = ["ACTIONS", "AuditEntry", "LocalRegistry", "MlflowRegistry", "Registry", "VersionInfo", "open_registry"]


def open_registry(
    location: str | Path,
    *,
    model_name: str | None = None,
    alias: str | None = None,
    must_exist: bool = False,
    **options: Any,
) -> Registry:
    """Open a registry from a location.

    Args:
        location: A directory (``LocalRegistry``), or ``mlflow:<tracking uri>`` for
            :class:`~gapgates.registry.mlflow.MlflowRegistry` (``mlflow:sqlite:///mlflow.db``).
        model_name: The model whose versions to use. An MLflow store can hold many registered
            models; a directory holds one model's versions, so it ignores this.
        alias: The MLflow alias that marks production (None: ``champion``). A directory has one
            production pointer and takes none.
        must_exist: Refuse a registry that is not there (read-only commands: nothing is created),
            and check a directory's files (:meth:`LocalRegistry.check`).
        **options: Passed to the registry class.

    Returns:
        The registry.

    Raises:
        ConfigError: When an alias is given for a directory registry.
        RegistryError: On an unusable location (an unsupported URI, a missing registry with
            ``must_exist``, files gapgates did not write).
    """
    text = str(location)
    if is_mlflow(text):
        from gapgates.registry.mlflow import MlflowRegistry, check_tracking_uri

        uri = text.removeprefix("mlflow:")
        check_tracking_uri(uri, must_exist=must_exist)
        if alias is not None:
            options["alias"] = alias
        return MlflowRegistry(uri, model_name=model_name, **options)
    if alias is not None:
        raise ConfigError(
            "The 'alias' option names the MLflow alias that marks production; a directory registry has none. "
            f"Got alias={alias!r} for the registry '{text}'. Drop it, or use an mlflow: registry."
        )
    if must_exist and not Path(location).is_dir():
        what = "is not a directory" if Path(location).exists() else "does not exist"
        raise RegistryError(f"The registry directory '{location}' {what}. Give the --registry used by 'check'.")
    registry = LocalRegistry(location, **options)
    if must_exist:
        registry.check()
    return registry


def __getattr__(name: str) -> Any:
    if name == "MlflowRegistry":
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry
    raise AttributeError(f"module 'gapgates.registry' has no attribute {name!r}")
