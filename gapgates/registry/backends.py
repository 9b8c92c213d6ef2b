"""The registry backends, chosen by location: which class opens it, and what callers may ask about it.

A location is ``<prefix><address>`` for a backend registered with a prefix (``mlflow:sqlite:///mlflow.db``),
else a filesystem path, opened by the one backend registered without a prefix (a directory). Each
:class:`Backend` names its :class:`~gapgates.registry.base.Registry` class by import path, so nothing here
imports a backend: :func:`gapgates.registry.open_registry` imports the class when a location is opened
(MLflow only for an ``mlflow:`` location), and the config can ask about a location without opening it.

A new backend is one module (a ``Registry`` subclass) plus one :func:`register_backend` call; the contract
test (``tests/integration/test_registry_contract.py``) runs every registered backend.

Example:
    >>> backend_for("mlflow:sqlite:///mlflow.db").name
    'mlflow'
    >>> backend_for("registry").local_path("registry")
    PosixPath('registry')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BACKENDS", "Backend", "alias_prefixes", "backend_for", "register_backend", "unregister_backend"]


@dataclass(frozen=True)
class Backend:
    """One registry backend: what its locations look like, the class that opens them, the facts callers need.

    Attributes:
        name: Short name (``directory``, ``mlflow``), used in messages.
        target: ``module:Class`` of its :class:`~gapgates.registry.base.Registry` subclass, imported when a
            location is opened. The class is built as ``Class(address, **options)`` and checks a location,
            reading only, with its ``check_location`` classmethod.
        example: An empty location inside a given (temporary) directory: what the contract test opens.
        prefix: What its locations start with (``mlflow:``), removed to give the class its address; None
            for the fallback backend, whose locations are filesystem paths (at most one is registered).
        directory: A location is a directory on this machine: relative to the config file that names it,
            checked writable before a run, created when missing.
        keeps_history: Without ``--history``, runs are recorded in ``history.sqlite`` inside the location
            (only for a ``directory``).
        one_model: A location holds one model's versions (the class takes no ``model_name``; the digest
            matches such registries to models by name). False: a store of many models, given ``model_name=``.
        takes_alias: Production is a named alias the user may choose (``alias=``, ``--alias``).
        requires: Modules it imports (its extra); the contract test skips a backend whose modules are missing.
    """

    name: str
    target: str
    example: Callable[[Path], str]
    prefix: str | None = None
    directory: bool = False
    keeps_history: bool = False
    one_model: bool = False
    takes_alias: bool = False
    requires: tuple[str, ...] = ()

    def address(self, location: str | Path) -> str:
        """The location as the class takes it: without the prefix."""
        return str(location).removeprefix(self.prefix or "")

    def local_path(self, location: str | Path) -> Path | None:
        """The directory a location is, for a ``directory`` backend (None for a store elsewhere)."""
        return Path(self.address(location)) if self.directory else None


#: The registered backends by name, in registration order.
BACKENDS: dict[str, Backend] = {}


def register_backend(backend: Backend, *, replace: bool = False) -> Backend:
    """Add a backend: locations starting with its prefix (or, without one, filesystem paths) open with it.

    Args:
        backend: The backend.
        replace: Replace a backend of the same name instead of refusing it.

    Returns:
        The backend.

    Raises:
        ValueError: A name already registered (without ``replace``), a prefix another backend has, an empty
            prefix or one not ending in ``:``, a second fallback backend, or ``keeps_history`` without ``directory``.

    Example:
        >>> register_backend(Backend("mlflow", "gapgates.registry.mlflow:MlflowRegistry", str))
        Traceback (most recent call last):
        ValueError: A registry backend named 'mlflow' is already registered. Pass replace=True to replace it.
    """
    if backend.name in BACKENDS and not replace:
        raise ValueError(f"A registry backend named {backend.name!r} is already registered. Pass replace=True to replace it.")
    if backend.prefix is not None and (not backend.prefix.endswith(":") or len(backend.prefix) < 3):
        raise ValueError(f"A registry backend's prefix must be a scheme like 'mlflow:'. Got {backend.prefix!r}.")
    if backend.keeps_history and not backend.directory:
        raise ValueError(f"Registry backend {backend.name!r} keeps history inside its location, which needs directory=True.")
    for other in BACKENDS.values():
        if other.name != backend.name and other.prefix == backend.prefix:
            taken = f"the prefix {backend.prefix!r}" if backend.prefix else "filesystem paths"
            raise ValueError(f"Registry backend {other.name!r} already opens {taken}. Unregister it first.")
    BACKENDS[backend.name] = backend
    return backend


def unregister_backend(name: str) -> None:
    """Remove a backend (no error when it is not there)."""
    BACKENDS.pop(name, None)


def backend_for(location: str | Path) -> Backend:
    """The backend that opens a location: the one whose prefix it starts with, else the filesystem-path one.

    Raises:
        RegistryError: When no backend opens it (no fallback backend is registered).
    """
    text = str(location)
    fallback = None
    for backend in BACKENDS.values():
        if backend.prefix is None:
            fallback = backend
        elif text.startswith(backend.prefix):
            return backend
    if fallback is None:
        from gapgates.errors import RegistryError

        prefixes = ", ".join(b.prefix for b in BACKENDS.values() if b.prefix) or "none"
        raise RegistryError(f"No registry backend opens '{text}'. Registered prefixes: {prefixes}.")
    return fallback


def alias_prefixes() -> str:
    """The prefixes of the backends that take an alias, for messages (``mlflow:``)."""
    return " or ".join(b.prefix or "directory" for b in BACKENDS.values() if b.takes_alias) or "no"


register_backend(
    Backend(
        "directory",
        "gapgates.registry.local:LocalRegistry",
        example=lambda tmp: str(tmp / "registry"),
        directory=True,
        keeps_history=True,
        one_model=True,
    )
)
register_backend(
    Backend(
        "mlflow",
        "gapgates.registry.mlflow:MlflowRegistry",
        example=lambda tmp: f"mlflow:sqlite:///{tmp / 'mlflow.db'}",
        prefix="mlflow:",
        takes_alias=True,
        requires=("mlflow",),
    )
)
