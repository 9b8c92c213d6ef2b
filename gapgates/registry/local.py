"""A registry in a local directory (skeleton; behaviour lands in the next commits)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gapgates.registry.base import AuditEntry, Registry, VersionInfo

__all__ = ["LocalRegistry"]


class LocalRegistry(Registry):
    """A directory of skops-saved model versions with a ``production`` alias and an audit log."""

    def __init__(self, path: str | Path, *, trusted: Sequence[str] = (), lock_timeout: float = 60.0) -> None:
        self.root = Path(path)
        self.trusted = tuple(trusted)
        self.lock_timeout = lock_timeout

    def register(self, model: Any, *, name: str, metadata: dict[str, Any], report: dict[str, Any] | None = None) -> str:
        raise NotImplementedError

    def promote(self, version: str, *, actor: str = "gapgates", reasons: Sequence[str] = ()) -> None:
        raise NotImplementedError

    def record(self, version: str | None, action: str, *, actor: str = "gapgates", reasons: Sequence[str] = ()) -> None:
        raise NotImplementedError

    def rollback(self, *, to: str | None = None, actor: str = "gapgates") -> str:
        raise NotImplementedError

    @property
    def production(self) -> str | None:
        raise NotImplementedError

    def load(self, version: str | None = None) -> Any:
        raise NotImplementedError

    def versions(self) -> list[VersionInfo]:
        raise NotImplementedError

    def audit(self) -> list[AuditEntry]:
        raise NotImplementedError

    def verify(self) -> list[str]:
        raise NotImplementedError
