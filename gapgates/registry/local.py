"""A registry in a local directory: the embedded default.

Layout::

    REGISTRY/
      production.json      the alias: {"version", "history", "switched"}; replaced atomically
      audit.jsonl          append-only audit log, fsynced before every alias switch
      .lock                file lock serialising promote / rollback / record
      versions/v1/         model.skops, report.json, metadata.json (written last), ORPHAN (if marked)

A version directory without ``metadata.json`` was left incomplete by a crash, and
one with an ``ORPHAN`` file failed between being written and being switched to:
both show as ``orphan`` and are never promoted. ``metadata.json`` holds the sha256 of
the model file and of itself (``metadata_sha256``, over the rest of the file): an edited
one is refused wherever it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gapgates.config import short_repr as short
from gapgates.errors import IntegrityError, ProductionMoved, RegistryError
from gapgates.registry import serialize
from gapgates.registry.audit import append_entry, now, read_entries
from gapgates.registry.base import (
    AuditEntry,
    Expected,
    Registry,
    VersionInfo,
    after_promotion,
    check_expected,
    rollback_plan,
)
from gapgates.registry.files import (
    TEMP_SUFFIX,
    atomic_write,
    checked,
    held,
    json_sha256,
    read_bytes,
    read_json,
    sha256_bytes,
    write_json,
)

__all__ = ["LocalRegistry"]

_VERSION = re.compile(r"^v([1-9][0-9]*)$")
MODEL_FILE, META_FILE, REPORT_FILE, ORPHAN_FILE = "model.skops", "metadata.json", "report.json", "ORPHAN"
#: The key of ``metadata.json`` holding the sha256 of the rest of it (:func:`~gapgates.registry.files.json_sha256`).
META_CHECKSUM = "metadata_sha256"
#: The largest document of a version read back (reports, the training sample).
MAX_DOCUMENT_BYTES = 256 << 20


class LocalRegistry(Registry):
    """A directory of skops-saved model versions with a ``production`` alias and an audit log.

    Args:
        path: The registry directory (created when missing).
        trusted: Extra type names to trust when loading models (see :mod:`gapgates.registry.serialize`).
        lock_timeout: Seconds to wait for another promoter before giving up.

    Example:
        >>> reg = LocalRegistry(tmp_path / "registry")  # doctest: +SKIP
        >>> v = reg.register(model, name="clf", metadata={"decision": "promote"})  # doctest: +SKIP
        >>> reg.promote(v); reg.production == v  # doctest: +SKIP
        True
    """

    private_files = frozenset({MODEL_FILE, META_FILE})

    def __init__(self, path: str | Path, *, trusted: Sequence[str] = (), lock_timeout: float = 60.0) -> None:
        self.root = Path(path)
        if self.root.exists() and not self.root.is_dir():
            raise RegistryError(f"The registry path '{self.root}' is a file. Give a directory.")
        self.trusted = tuple(trusted)
        self.lock_timeout = lock_timeout
        self._versions = self.root / "versions"
        self._alias = self.root / "production.json"
        self._audit = self.root / "audit.jsonl"

    @classmethod
    def locate(cls, address: str) -> str:
        """The registry directory, absolute."""
        return str(Path(address).absolute())

    @property
    def location(self) -> str:
        """The registry directory, absolute."""
        return self.locate(str(self.root))

    @classmethod
    def check_location(cls, address: str, *, must_exist: bool = False) -> None:
        """Refuse a directory holding files gapgates did not write (:meth:`check`); reads only.

        Raises:
            RegistryError: Naming the problem; with ``must_exist``, also a directory that is not there.
        """
        path = Path(address)
        if must_exist and not path.is_dir():
            what = "is not a directory" if path.exists() else "does not exist"
            raise RegistryError(f"The registry directory '{address}' {what}. Give the --registry used by 'check'.")
        cls(path).check()

    # -- paths and reading -------------------------------------------------------------------
    def _ensure(self) -> None:
        try:
            self._versions.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RegistryError(f"The registry directory '{self.root}' cannot be created: {err}.") from None

    def _no_link(self, path: Path, what: str) -> Path:
        if path.is_symlink():
            raise RegistryError(
                f"{what} '{path}' is a symbolic link; gapgates never follows links in a registry. "
                "Replace it with the real file or directory."
            )
        return path

    def _dir(self, version: str) -> Path:
        if not _VERSION.match(str(version)) or not (self._versions / version).is_dir():
            known = ", ".join(self._names()) or "none"
            raise RegistryError(f"There is no version '{version}' in the registry {self.root}. Known: {known}.")
        self._no_link(self._versions, "The versions directory")
        return self._no_link(self._versions / version, f"Version {version}")

    def _names(self) -> list[str]:
        if not self._no_link(self._versions, "The versions directory").is_dir():
            return []
        names = [p.name for p in self._versions.iterdir() if _VERSION.match(p.name) and p.is_dir()]
        return sorted(names, key=lambda n: int(n[1:]))

    def _meta(self, version: str) -> dict[str, Any] | None:
        path = self._dir(version) / META_FILE
        if not path.exists() and not path.is_symlink():
            return None
        meta = read_json(path, f"The metadata of version {version}")
        if not isinstance(meta, dict):
            raise RegistryError(
                f"The metadata of version {version} ('{path}') is a JSON {type(meta).__name__}, not an "
                "object: it was not written by gapgates. Restore it from a backup."
            )
        if META_CHECKSUM in meta:  # versions registered before gapgates recorded it carry none
            recorded = meta[META_CHECKSUM]
            digest = json_sha256({k: v for k, v in meta.items() if k != META_CHECKSUM})
            if recorded != digest:
                raise IntegrityError(
                    f"The metadata of version {version} ('{path}') does not match its recorded sha256 (expected "
                    f"{str(recorded)[:12]}…, got {digest[:12]}…): it was changed after the version was registered; "
                    "refusing to use it. Restore it from a backup, or register the model again."
                )
        return meta

    def _alias_state(self) -> dict[str, Any]:
        if not self._alias.exists() and not self._alias.is_symlink():
            return {"version": None, "history": []}
        state = read_json(self._alias, "The production alias")
        version = state.get("version") if isinstance(state, dict) else None
        history = state.get("history") if isinstance(state, dict) else None
        if (
            not isinstance(state, dict)
            or not (version is None or isinstance(version, str))
            or not isinstance(history or [], list)
            or not all(isinstance(v, str) for v in history or [])
        ):
            raise RegistryError(
                f"The production alias '{self._alias}' is not what gapgates writes ({{\"version\": "
                '"vN", "history": [...]}). Restore it from a backup or the audit log.'
            )
        if version is not None and not _VERSION.match(version):
            raise RegistryError(
                f"The production alias '{self._alias}' names '{version}', not a version like v3. "
                "Restore it from a backup or the audit log."
            )
        return {"version": version, "history": list(history or [])}

    def check(self) -> None:
        """Refuse a registry whose files gapgates did not write (read-only; a missing directory passes).

        Links, a production alias that is not gapgates' JSON, metadata that is not an object, a lock
        or audit log that is not a regular file: each is one :class:`RegistryError`.

        Raises:
            RegistryError: Naming the first problem.
        """
        if not self.root.exists():
            return
        for path, what in (
            (self._versions, "The versions directory"),
            (self._alias, "The production alias"),
            (self._audit, "The audit log"),
            (self.root / ".lock", "The lock file"),
        ):
            self._no_link(path, what)
        for path, what in (
            (self._alias, "The production alias"),
            (self._audit, "The audit log"),
            (self.root / ".lock", "The lock file"),
        ):
            if path.exists() and not path.is_file():
                raise RegistryError(f"{what} '{path}' is not a regular file. Remove it or restore it from a backup.")
        if self._versions.exists() and not self._versions.is_dir():
            raise RegistryError(f"The versions directory '{self._versions}' is not a directory. Restore the registry.")
        self._alias_state()
        if self._versions.is_dir():
            for entry in self._versions.iterdir():
                if _VERSION.match(entry.name):
                    self._no_link(entry, f"Version {entry.name}")
        names = self._names()
        for name in names:
            self._meta(name)
        production = self._alias_state()["version"]
        if production is not None and (production not in names or self._is_orphan(production)):
            what = "which is not a version of the registry" if production not in names else "which is incomplete"
            raise RegistryError(
                f"The production alias '{self._alias}' names {production}, {what} (versions: "
                f"{', '.join(names) or 'none'}). Restore it from a backup, or remove it and switch production with "
                "'gapgates registry rollback --to VERSION'."
            )

    def _is_orphan(self, version: str) -> bool:
        d = self._dir(version)
        return (d / ORPHAN_FILE).exists() or not (d / META_FILE).exists()

    @property
    def production(self) -> str | None:
        """The production version, or None before the first promotion."""
        return self._alias_state()["version"]

    # -- writing -----------------------------------------------------------------------------
    def _allocate(self) -> str:
        self._ensure()
        number = max((int(n[1:]) for n in self._names()), default=0) + 1
        while True:
            try:
                (self._versions / f"v{number}").mkdir()
                return f"v{number}"
            except FileExistsError:  # another process took it: try the next number
                number += 1

    def _mark_orphan(self, version: str, reason: str) -> None:
        try:
            atomic_write(self._versions / version / ORPHAN_FILE, (reason.strip() + "\n").encode())
        except OSError:  # pragma: no cover - the version is already orphaned by its missing metadata
            pass

    def _register(
        self,
        model: Any,
        *,
        name: str,
        metadata: dict[str, Any],
        report: dict[str, Any] | None,
        documents: Mapping[str, str] | None,
    ) -> str:
        """Store a fitted model as a new version (not production): ``model.skops``, then the report and
        ``documents`` beside it, then ``metadata.json`` (as given, plus the checksum) last.

        Returns:
            The new version id (``v1``, ``v2``...).

        Raises:
            RegistryError: When the model cannot be saved safely or the directory cannot be written.
        """
        data = serialize.dumps(model, trusted=self.trusted)
        version = self._allocate()
        folder = self._versions / version
        try:
            atomic_write(folder / MODEL_FILE, data)
            if report is not None:
                write_json(folder / REPORT_FILE, report)
            for file_name, text in (documents or {}).items():
                atomic_write(folder / Path(file_name).name, text.encode("utf-8"))
            meta = {
                **metadata,
                "version": version,
                "name": name,
                "created": now(),
                "sha256": sha256_bytes(data),
                "model_file": MODEL_FILE,
                "size": len(data),
            }
            meta.pop(META_CHECKSUM, None)
            meta[META_CHECKSUM] = json_sha256(meta)  # covers every other key: an edited file is refused when read
            write_json(folder / META_FILE, meta)  # last: its presence means the version is complete
        except BaseException as err:
            self._mark_orphan(version, f"registration failed: {err}")
            if isinstance(err, OSError):
                raise RegistryError(f"Version {version} could not be written: {err}.") from None
            raise
        return version

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure()
        path = self._no_link(self.root / ".lock", "The lock file")
        if path.exists() and not path.is_file():
            raise RegistryError(f"The lock file '{path}' is not a regular file. Remove it and retry.")
        with held(path, timeout=self.lock_timeout, holder="the registry"):
            for stale in self.root.glob(f".*{TEMP_SUFFIX}"):  # only lock holders write here: a crashed one left it
                stale.unlink(missing_ok=True)
            yield

    def model_path(self, version: str) -> Path:
        """The stored model file of a version."""
        return self._dir(version) / MODEL_FILE

    def _checked_bytes(self, version: str, *, orphan_ok: bool = False) -> bytes:
        meta = self._meta(version)
        if meta is None or (not orphan_ok and (self._dir(version) / ORPHAN_FILE).exists()):
            raise RegistryError(
                f"Version {version} is an orphan (its write or promotion never finished). Register the model again."
            )
        name = meta.get("model_file", MODEL_FILE)
        if not isinstance(name, str) or Path(name).name != name or name in {"", ".", ".."}:
            raise IntegrityError(
                f"The metadata of version {version} names the model file {short(name)}, which is not a "
                "file of the version's own directory; refusing to read it."
            )
        try:
            data = read_bytes(self._dir(version) / name, f"The model file of version {version}")
        except RegistryError as err:
            raise IntegrityError(str(err)) from None
        return checked(version, data, meta.get("sha256"))

    def _entry(self, version: str | None, action: str, actor: str, reasons: Sequence[str], previous: str | None) -> AuditEntry:
        meta = (self._meta(version) or {}) if version is not None else {}
        return AuditEntry(
            time=now(),
            version=version,
            action=action,
            reasons=tuple(str(r) for r in reasons),
            policy_hash=meta.get("policy_hash"),
            data_fingerprint=meta.get("data_fingerprint"),
            actor=actor,
            previous=previous,
        )

    def _switch(self, version: str, history: list[str]) -> None:
        write_json(self._alias, {"version": version, "history": history, "switched": now()})

    def promote(
        self,
        version: str,
        *,
        actor: str = "gapgates",
        reasons: Sequence[str] = (),
        expected: str | Expected | None = Expected.ANY,
    ) -> None:
        """Audit, then switch ``production`` to ``version``; concurrent promoters serialise on the lock, and with
        ``expected`` the switch happens only if production is still that version (checked under the lock).

        Raises:
            ProductionMoved: Production is not ``expected``: nothing is audited or switched; the version stays registered.
            RegistryError: Unknown or orphan version, or the lock is not free in time.
            IntegrityError: The model file does not match its checksum.
        """
        self._dir(version)
        try:
            with self._locked():
                state = self._alias_state()
                current = state["version"]
                check_expected(version, expected, current)  # nothing is written for a refused switch
                self._checked_bytes(version)
                append_entry(self._audit, self._entry(version, "promote", actor, reasons, current))
                self._switch(version, after_promotion(current, state["history"], version))
        except ProductionMoved:
            raise  # the version stays registered: it may be judged again against the new production
        except BaseException:
            if version not in self._production_history():
                self._mark_orphan(version, "promotion failed before the production alias was switched")
            raise

    def _production_history(self) -> list[str]:
        try:
            state = self._alias_state()
        except RegistryError:
            return []
        return [v for v in [*state["history"], state["version"]] if v]

    def _record(self, version: str | None, action: str, *, actor: str, reasons: tuple[str, ...]) -> None:
        """Append an audit entry (register, block, needs_approval, approve, reject); production is unchanged."""
        if version is not None:
            self._dir(version)
        with self._locked():
            append_entry(self._audit, self._entry(version, action, actor, reasons, self.production))

    def rollback(self, *, to: str | None = None, actor: str = "gapgates") -> str:
        """Switch production back to the previous production version, or to ``to``; audited.

        Returns:
            The production version afterwards.

        Raises:
            RegistryError: Nothing to roll back to, or an unknown / orphan target.
            IntegrityError: The target's model file does not match its checksum.
        """
        with self._locked():
            state = self._alias_state()
            current = state["version"]
            if to is not None:
                self._dir(to)
            target, new_history = rollback_plan(current, state["history"], to)
            self._checked_bytes(target)
            append_entry(self._audit, self._entry(target, "rollback", actor, [f"from {current} to {target}"], current))
            self._switch(target, new_history)
        return target

    # -- reading -----------------------------------------------------------------------------
    def load(self, version: str | None = None) -> Any:
        """Load a version (production by default) after verifying its sha256.

        Raises:
            RegistryError: No production model yet, or an unknown / orphan version.
            IntegrityError: The model file does not match its recorded checksum.
        """
        version = version or self.production
        if version is None:
            raise RegistryError(f"The registry {self.root} has no production model yet. Promote a version first.")
        return serialize.loads(self._checked_bytes(version), trusted=self.trusted)

    def _document(self, version: str, name: str) -> bytes | None:
        """A file stored with a version (never the model or its metadata, never through a link).

        Raises:
            RegistryError: An unknown version, or a file that cannot be read.
        """
        path = self._dir(version) / name
        if not path.exists() and not path.is_symlink():
            return None
        return read_bytes(path, f"The file {name} of version {version}", max_bytes=MAX_DOCUMENT_BYTES)

    def versions(self) -> list[VersionInfo]:
        """Every version, oldest first, with its status (production, registered, orphan)."""
        production = self.production
        out = []
        for name in self._names():
            meta = self._meta(name) or {}
            status = "orphan" if self._is_orphan(name) else "production" if name == production else "registered"
            out.append(
                VersionInfo(
                    version=name,
                    name=str(meta.get("name", "")),
                    created=str(meta.get("created", "")),
                    sha256=str(meta.get("sha256", "")),
                    decision=meta.get("decision"),
                    status=status,
                    metadata=meta,
                )
            )
        return out

    def audit(self) -> list[AuditEntry]:
        """The audit log, oldest first (unreadable lines left out: :meth:`audit_problems`)."""
        return read_entries(self._audit)[0]

    def audit_problems(self) -> list[str]:
        """One line per audit log line that cannot be read (not UTF-8, not JSON, not an entry)."""
        return read_entries(self._audit)[1]

    def verify(self) -> list[str]:
        """Re-hash every complete version's model file; check the alias and the audit log.

        Returns:
            One line per problem; empty when everything matches.
        """
        try:
            self.check()
        except RegistryError as err:  # the layout itself is wrong: nothing else can be trusted
            return [str(err)]
        problems = []
        for name in self._names():
            if (self._versions / name / META_FILE).exists():
                try:
                    self._checked_bytes(name, orphan_ok=True)
                except RegistryError as err:
                    problems.append(str(err))
        try:
            production = self.production
            if production is not None and self._is_orphan(production):
                problems.append(f"The production alias points to {production}, which is incomplete.")
        except RegistryError as err:
            problems.append(str(err))
        try:
            problems += read_entries(self._audit)[1]
        except RegistryError as err:
            problems.append(str(err))
        return problems
