"""What every model registry offers: versions, a ``production`` alias, an audit log.

:class:`Registry` is the interface :func:`gapgates.enforcement.enforce` and the
Prefect flow program against; :class:`~gapgates.registry.local.LocalRegistry`
(a directory) and :class:`~gapgates.registry.mlflow.MlflowRegistry` implement it.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from gapgates.config import short_repr
from gapgates.errors import ProductionMoved, RegistryError

__all__ = [
    "ACTIONS",
    "AuditEntry",
    "Expected",
    "Registry",
    "VersionInfo",
    "after_promotion",
    "check_expected",
    "rollback_plan",
    "switched_to",
    "took_effect",
]

#: Audit actions :meth:`Registry.record` accepts (``promote`` and ``rollback`` are written by their methods).
ACTIONS: tuple[str, ...] = ("register", "block", "needs_approval", "approve", "reject", "withdraw")


def after_promotion(current: str | None, history: list[str], version: str) -> list[str]:
    """The production history once ``version`` replaces ``current``."""
    return [*history, current] if current and current != version else list(history)


class Expected(enum.Enum):
    """What :meth:`Registry.promote` expects production to be: ``ANY`` checks nothing (a person's rollback or switch)."""

    ANY = "any"


def check_expected(version: str, expected: str | Expected | None, current: str | None) -> None:
    """Refuse a switch to ``version`` when production is not the ``expected`` version (call under the store's lock).

    Raises:
        ProductionMoved: When ``expected`` is a version (or None: no production) and production is another one.

    Example:
        >>> check_expected("v3", Expected.ANY, "v2")  # no expectation: nothing to check
        >>> check_expected("v3", "v2", "v2")  # production is the version v3 was compared with: switch
    """
    if expected is not Expected.ANY and expected != current:
        raise ProductionMoved(version, expected, current)


def took_effect(entries: Sequence[AuditEntry], production: str | None) -> list[bool | None]:
    """For each audit entry, whether the switch it records happened (None for an entry that records no switch).

    A ``promote`` or ``rollback`` is audited *before* the alias moves, so a process killed in between leaves a line
    that never happened. Switches are serialised, so the next switch tells: its ``previous`` is this line's version
    exactly when this switch happened; the last one is told by production itself.

    Example:
        >>> intent = AuditEntry("t1", "v3", "promote", previous="v2")  # the process died before the switch
        >>> took_effect([AuditEntry("t0", "v2", "promote"), intent, AuditEntry("t2", "v4", "promote", previous="v2")], "v4")
        [True, False, True]
    """
    marks: list[bool | None] = [None] * len(entries)
    switches = [i for i, e in enumerate(entries) if e.action in ("promote", "rollback")]
    for k, here in enumerate(switches):
        landed = entries[switches[k + 1]].previous if k + 1 < len(switches) else production
        marks[here] = landed == entries[here].version
    return marks


def switched_to(entries: Sequence[AuditEntry], production: str | None, version: str) -> bool:
    """Whether a ``promote`` of ``version`` in the audit log really switched production to it (:func:`took_effect`).

    Example:
        >>> e = AuditEntry("t1", "v2", "promote", previous="v1")
        >>> switched_to([e], "v2", "v2"), switched_to([e], "v1", "v2")
        (True, False)
    """
    marks = took_effect(entries, production)
    return any(mark and e.action == "promote" and e.version == version for e, mark in zip(entries, marks, strict=True))


def rollback_plan(current: str | None, history: list[str], to: str | None) -> tuple[str, list[str]]:
    """The version a rollback switches to and the history afterwards.

    Raises:
        RegistryError: When there is no previous version and no ``to``.
    """
    if to is not None:
        return str(to), after_promotion(current, history, str(to))
    if not history:
        raise RegistryError("There is no previous production version to roll back to. Give --to VERSION.")
    return history[-1], history[:-1]


@dataclass(frozen=True)
class VersionInfo:
    """One registered model version.

    Attributes:
        version: Version id (``v1``, ``v2``... locally; the MLflow version number there).
        name: Model name.
        created: UTC time it was registered, ISO 8601.
        sha256: sha256 of the stored model file ("" when the write never finished).
        decision: The gate's outcome recorded with it (promote, block, needs_approval) or None.
        status: ``production``, ``registered`` or ``orphan`` (written but never switched to,
            or left incomplete by a crash).
        metadata: Everything recorded with the version (gap summary, fingerprint, policy hash...).
    """

    version: str
    name: str
    created: str
    sha256: str
    decision: str | None
    status: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``gapgates registry show --json``."""
        return {
            "version": self.version,
            "name": self.name,
            "created": self.created,
            "sha256": self.sha256,
            "decision": self.decision,
            "status": self.status,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log.

    Attributes:
        time: UTC time, ISO 8601 with microseconds.
        version: The version acted on (None for an action about no version).
        action: promote, rollback, register, block, needs_approval, approve or reject.
        reasons: Plain-language reasons (the failing checks for a block).
        policy_hash: sha256 of the policy the version was judged by.
        data_fingerprint: sha256 of the training data.
        actor: Who acted (a user, ``gapgates``, a flow run).
        previous: The production version before this action (promote and rollback).
    """

    time: str
    version: str | None
    action: str
    reasons: tuple[str, ...] = ()
    policy_hash: str | None = None
    data_fingerprint: str | None = None
    actor: str = "gapgates"
    previous: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-lines form."""
        return {
            "time": self.time,
            "version": self.version,
            "action": self.action,
            "reasons": list(self.reasons),
            "policy_hash": self.policy_hash,
            "data_fingerprint": self.data_fingerprint,
            "actor": self.actor,
            "previous": self.previous,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        """Rebuild an entry from :meth:`to_dict` output."""
        return cls(
            time=str(data["time"]),
            version=data.get("version"),
            action=str(data["action"]),
            reasons=tuple(data.get("reasons") or ()),
            policy_hash=data.get("policy_hash"),
            data_fingerprint=data.get("data_fingerprint"),
            actor=str(data.get("actor") or "gapgates"),
            previous=data.get("previous"),
        )


class Registry(abc.ABC):
    """A store of model versions with one ``production`` alias and an audit log.

    The public writes check their arguments here, once, then call the store's own ``_register`` and
    ``_record`` (and ``_document`` for reads); a backend implements those and the other abstract methods.
    A backend is opened by location through :func:`gapgates.registry.open_registry` once registered
    (:func:`gapgates.registry.backends.register_backend`): ``Class(address, **options)``.
    """

    #: File names of a version that :meth:`document` never returns (the store's own files).
    private_files: ClassVar[frozenset[str]] = frozenset()
    #: The alias that marks production, for a store that names it (an MLflow registered-model alias).
    alias: str | None = None

    @classmethod
    def locate(cls, address: str) -> str | None:
        """The location of the store at ``address`` as ``open_registry`` takes it from any directory (absolute), or
        None when the store cannot say; nothing is opened."""
        return None

    @property
    def location(self) -> str | None:
        """Where this registry is, as ``open_registry`` takes it from any directory (:meth:`locate`).

        Recorded with a run's outcome, so a reader can ask the registry whether a pending promotion happened.
        """
        return None

    @classmethod  # noqa: B027 - a hook: a store that needs no check keeps this default
    def check_location(cls, address: str, *, must_exist: bool = False) -> None:
        """Refuse a location this store cannot use, reading only (nothing is created or changed).

        Args:
            address: The location without the backend's prefix.
            must_exist: Also refuse a store that is not there yet.

        Raises:
            RegistryError: Naming the problem.
        """

    def register(
        self,
        model: Any,
        *,
        name: str,
        metadata: dict[str, Any],
        report: dict[str, Any] | None = None,
        documents: Mapping[str, str] | None = None,
    ) -> str:
        """Store a fitted model as a new version; it is not production yet.

        Args:
            model: The fitted estimator.
            name: Model name.
            metadata: Gap summary, decision, fingerprints... (see :func:`gapgates.enforcement.registry_metadata`).
            report: The run's ``report.json`` mapping, stored with the version.
            documents: More files stored with it, by file name (``report.md``, ``report.html``).

        Returns:
            The new version id.

        Raises:
            RegistryError: An empty name, metadata that is not a dict, or a model the store cannot keep.
        """
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"A registered model needs a non-empty name. Got {short_repr(name)}.")
        if not isinstance(metadata, dict):
            raise RegistryError(f"The metadata must be a dict. Got {type(metadata).__name__}.")
        return self._register(model, name=name, metadata=metadata, report=report, documents=documents)

    @abc.abstractmethod
    def _register(
        self,
        model: Any,
        *,
        name: str,
        metadata: dict[str, Any],
        report: dict[str, Any] | None,
        documents: Mapping[str, str] | None,
    ) -> str:
        """:meth:`register` with checked arguments."""

    @abc.abstractmethod
    def promote(
        self,
        version: str,
        *,
        actor: str = "gapgates",
        reasons: Sequence[str] = (),
        expected: str | Expected | None = Expected.ANY,
    ) -> None:
        """Audit, then switch ``production`` to ``version`` (atomically, serialised with other promoters).

        Args:
            version: The version to make production.
            actor: Who promotes, for the audit log.
            reasons: Recorded with the promotion.
            expected: The production version the switch may replace (None: only an empty registry), checked with
                the switch under the store's lock (:func:`check_expected`): a run promotes only over the version it
                compared its candidate with. ``Expected.ANY`` checks nothing.

        Raises:
            ProductionMoved: Production is not ``expected``; nothing was audited or switched.
            RegistryError: An unknown or orphan version, or the store refused the switch.
        """

    def record(self, version: str | None, action: str, *, actor: str = "gapgates", reasons: Sequence[str] = ()) -> None:
        """Append an audit entry only (one of :data:`ACTIONS`); production does not change.

        Args:
            version: The version acted on, or None for an action about no version (a run blocked before any fit).
            action: One of :data:`ACTIONS` (``promote`` and ``rollback`` are written by their own methods).
            actor: Who acted.
            reasons: Plain-language reasons, one string each.

        Raises:
            RegistryError: An action not in :data:`ACTIONS`, a version that is not a version id, an empty
                actor, reasons that are not a list of strings, or a version the store does not hold.
        """
        if not isinstance(action, str) or action not in ACTIONS:
            raise RegistryError(f"The audit action must be one of {', '.join(ACTIONS)}. Got {short_repr(action)}.")
        if version is not None and (not isinstance(version, str) or not version.strip()):
            raise RegistryError(f"The audited version must be a version id (a string) or None. Got {short_repr(version)}.")
        if not isinstance(actor, str) or not actor.strip():
            raise RegistryError(f"The audit actor must name who acted (a non-empty string). Got {short_repr(actor)}.")
        if not isinstance(reasons, Sequence) or isinstance(reasons, str) or not all(isinstance(r, str) for r in reasons):
            raise RegistryError(f"The audit reasons must be a list of strings. Got {short_repr(reasons)}.")
        self._record(version, action, actor=actor, reasons=tuple(reasons))

    @abc.abstractmethod
    def _record(self, version: str | None, action: str, *, actor: str, reasons: tuple[str, ...]) -> None:
        """:meth:`record` with checked arguments: refuse a version the store does not hold, then append."""

    @abc.abstractmethod
    def rollback(self, *, to: str | None = None, actor: str = "gapgates") -> str:
        """Switch production back to the previous version (or ``to``); audited.

        Returns:
            The version that is production afterwards.
        """

    @property
    @abc.abstractmethod
    def production(self) -> str | None:
        """The production version, or None before the first promotion."""

    @abc.abstractmethod
    def load(self, version: str | None = None) -> Any:
        """Load a version (production by default) after verifying its checksum.

        Raises:
            IntegrityError: When the stored model does not match its checksum.
        """

    @abc.abstractmethod
    def versions(self) -> list[VersionInfo]:
        """Every version, oldest first."""

    @abc.abstractmethod
    def audit(self) -> list[AuditEntry]:
        """The audit log, oldest first (lines that cannot be read are left out: :meth:`audit_problems` names them)."""

    def audit_problems(self) -> list[str]:
        """One line per audit entry :meth:`audit` left out because it cannot be read (the default store has none)."""
        return []

    def switched(self, version: str) -> bool:
        """Whether a promotion of ``version`` switched production to it (:func:`switched_to` on the audit log).

        Example:
            >>> registry.switched("v3")  # doctest: +SKIP
            True
        """
        return switched_to(self.audit(), self.production, version)

    @abc.abstractmethod
    def verify(self) -> list[str]:
        """Re-check every stored checksum.

        Returns:
            One line per problem found; empty when everything matches.
        """

    def model_path(self, version: str) -> Path | None:
        """Where a version's stored model file lies on this machine; the default store keeps it elsewhere: None.

        Raises:
            RegistryError: When there is no such version (the local and MLflow registries).
        """
        return None

    def document(self, version: str, name: str) -> bytes | None:
        """A file stored with a version by :meth:`register` (``report.md``, ``training_sample.csv``...).

        Args:
            version: The version.
            name: The file name given in ``documents``.

        Returns:
            The file's bytes, or None when the version has no such file.

        Raises:
            RegistryError: A name that is not a plain file name (or is one of :attr:`private_files`), no such
                version, or a file that cannot be read safely.
        """
        if not isinstance(name, str) or Path(name).name != name or name in {"", ".", "..", *self.private_files}:
            raise RegistryError(f"A version's document is named by a plain file name. Got {short_repr(name)}.")
        return self._document(version, name)

    def _document(self, version: str, name: str) -> bytes | None:
        """:meth:`document` with a checked name. The default store keeps none and answers None."""
        return None

    def check(self) -> None:  # noqa: B027 - a hook: a store that needs no check keeps this default
        """Refuse a registry gapgates cannot use safely, reading only (the default trusts the store).

        Raises:
            RegistryError: Naming the problem.
        """

    def info(self, version: str) -> VersionInfo:
        """One version's record.

        Raises:
            RegistryError: When there is no such version.
        """
        for item in self.versions():
            if item.version == version:
                return item
        known = ", ".join(v.version for v in self.versions()) or "none"
        raise RegistryError(f"There is no version '{version}' in the registry. Known versions: {known}.")
