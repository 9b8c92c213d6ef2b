"""Model registries: versions, an atomically switched ``production`` alias, an audit log.

Example:
    >>> from gapgates.registry import open_registry
    >>> reg = open_registry("registry")  # doctest: +SKIP
    >>> reg.production  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gapgates.errors import ConfigError
from gapgates.registry.backends import BACKENDS, Backend, alias_prefixes, backend_for, register_backend, unregister_backend
from gapgates.registry.base import ACTIONS, AuditEntry, Expected, Registry, VersionInfo
from gapgates.registry.local import LocalRegistry

__all__ = [
    "ACTIONS",
    "BACKENDS",
    "AuditEntry",
    "Backend",
    "Expected",
    "LocalRegistry",
    "MlflowRegistry",
    "Registry",
    "VersionInfo",
    "backend_for",
    "check_location",
    "locate",
    "open_registry",
    "register_backend",
    "registry_class",
    "unregister_backend",
]


def registry_class(backend: Backend) -> type[Registry]:
    """The :class:`Registry` subclass a backend names (imported now: MLflow's module only when asked for)."""
    module, _, name = backend.target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, Registry)):
        raise TypeError(f"Registry backend {backend.name!r} names {backend.target}, which is not a Registry subclass.")
    return cls


def locate(location: str | Path) -> str | None:
    """A registry location as ``open_registry`` takes it from any directory (absolute); nothing is opened.

    Example:
        >>> locate("mlflow:sqlite:////srv/mlflow.db")
        'mlflow:sqlite:////srv/mlflow.db'
    """
    backend = backend_for(location)
    return registry_class(backend).locate(backend.address(location))


def check_location(location: str | Path, *, must_exist: bool = False) -> None:
    """Refuse a registry location gapgates cannot use, reading only: nothing is created or changed.

    Args:
        location: A directory, or a URI of a registered backend (``mlflow:sqlite:///mlflow.db``).
        must_exist: Also refuse a registry that is not there yet.

    Raises:
        RegistryError: An unusable location (an unsupported URI, files gapgates did not write), or a
            missing one with ``must_exist``.
    """
    backend = backend_for(location)
    registry_class(backend).check_location(backend.address(location), must_exist=must_exist)


def open_registry(
    location: str | Path,
    *,
    model_name: str | None = None,
    alias: str | None = None,
    must_exist: bool = False,
    **options: Any,
) -> Registry:
    """Open a registry from a location, with the backend registered for it (:mod:`gapgates.registry.backends`).

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
        ConfigError: When an alias is given for a registry that takes none (a directory).
        RegistryError: On an unusable location (an unsupported URI, a missing registry with
            ``must_exist``, files gapgates did not write).
    """
    backend = backend_for(location)
    if alias is not None and not backend.takes_alias:
        raise ConfigError(
            f"The 'alias' option names the alias that marks production; a {backend.name} registry has none. "
            f"Got alias={alias!r} for the registry '{location}'. Drop it, or use an {alias_prefixes()} registry."
        )
    cls = registry_class(backend)
    address = backend.address(location)
    if must_exist:
        cls.check_location(address, must_exist=True)
    if alias is not None:
        options["alias"] = alias
    if not backend.one_model:
        options["model_name"] = model_name
    build: Callable[..., Registry] = cls  # each backend's own constructor: Class(address, **options)
    return build(address, **options)


def __getattr__(name: str) -> Any:
    if name == "MlflowRegistry":
        from gapgates.registry.mlflow import MlflowRegistry

        return MlflowRegistry
    raise AttributeError(f"module 'gapgates.registry' has no attribute {name!r}")
