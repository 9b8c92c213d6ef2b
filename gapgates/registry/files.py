"""Crash-safe file primitives: atomic replace, fsynced appends, checksums.

A reader never sees half a file: content goes to a temp file in the same
directory, is fsynced, then ``os.replace``-d over the target and the directory
is fsynced. Temp files are named ``.<name>.<pid>.<random>.tmp`` so a crashed
writer's leftovers are recognisable and removable.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gapgates.errors import IntegrityError, RegistryError

__all__ = [
    "MAX_JSON_BYTES",
    "TEMP_SUFFIX",
    "append_line",
    "atomic_write",
    "checked",
    "fsync_dir",
    "held",
    "json_sha256",
    "read_bytes",
    "read_json",
    "sha256_bytes",
    "write_json",
]

TEMP_SUFFIX = ".tmp"


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def json_sha256(payload: Any) -> str:
    """Hex sha256 of a JSON value in one canonical form (sorted keys, no spaces), the same before and after a round
    trip through a file written by :func:`write_json`.

    Example:
        >>> json_sha256({"b": 1, "a": [0.5, None]}) == json_sha256({"a": [0.5, None], "b": 1})
        True
    """
    plain = json.loads(json.dumps(payload, default=str))  # what a reader gets back from the file
    return sha256_bytes(json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def checked(version: str, data: bytes, expected: str | None) -> bytes:
    """Return ``data`` if its sha256 is ``expected``.

    Raises:
        IntegrityError: When it is not: the file changed after it was registered.
    """
    digest = sha256_bytes(data)
    if digest != expected:
        raise IntegrityError(
            f"The model file of version {version} does not match its recorded sha256 "
            f"(expected {str(expected)[:12]}…, got {digest[:12]}…); refusing to use it."
        )
    return data


def fsync_dir(path: Path) -> None:
    """fsync a directory so a rename or a new entry in it survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: temp file, fsync, ``os.replace``, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json(path: Path, payload: Any) -> None:
    """Atomically write ``payload`` as indented JSON."""
    atomic_write(path, (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode())


#: Largest registry file gapgates reads as JSON (metadata, the alias, a version's report).
MAX_JSON_BYTES = 64 << 20


def read_bytes(path: Path, what: str, *, max_bytes: int | None = None) -> bytes:
    """A regular file's bytes, never through a symbolic link (nothing is read from outside the registry).

    Raises:
        RegistryError: When the path is a link, not a regular file, larger than ``max_bytes`` or unreadable.
    """
    if path.is_symlink():
        raise RegistryError(
            f"{what} '{path}' is a symbolic link; gapgates never follows links in a registry. Replace it with the file itself."
        )
    if not path.is_file():
        raise RegistryError(f"{what} '{path}' is not a regular file. Restore it from a backup.")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(-1 if max_bytes is None else max_bytes + 1)
    except OSError as err:
        raise RegistryError(f"{what} '{path}' cannot be read: {err.strerror or err}.") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise RegistryError(f"{what} '{path}' is larger than {max_bytes:,} bytes; it is not a file gapgates wrote.")
    return data


def read_json(path: Path, what: str = "The registry file") -> Any:
    """Read a JSON file of the registry (no links, at most :data:`MAX_JSON_BYTES`).

    Raises:
        RegistryError: When it cannot be read, is not UTF-8 or is not JSON.
    """
    data = read_bytes(path, what, max_bytes=MAX_JSON_BYTES)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        detail = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise RegistryError(f"{what} '{path}' is unreadable ({detail}). Restore it from a backup.") from None


def append_line(path: Path, line: str) -> None:
    """Append one line with a single ``write``, then flush and fsync (the file is opened ``O_APPEND``).

    If a previous writer died mid-line, the new line starts on a line of its own.
    """
    data = line.rstrip("\n").encode() + b"\n"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as err:  # a link (ELOOP), a directory, no permission
        raise RegistryError(
            f"The file '{path}' cannot be appended to: {err.strerror or err}. It must be a regular "
            "file inside the registry, not a link."
        ) from None
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def held(path: Path, *, timeout: float, holder: str) -> Iterator[None]:
    """Hold the file lock at ``path`` (``filelock``) while the block runs; promoters of one store serialise on it.

    Args:
        path: The lock file (created when missing).
        timeout: Seconds to wait for another holder.
        holder: What the lock guards, for messages ("the registry", "the MLflow store").

    Raises:
        RegistryError: When another process holds it past ``timeout``, or it cannot be taken.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(path, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise RegistryError(
            f"Another process has held the lock of {holder} ({path}) for more than {timeout:g} s. Retry when it is done."
        ) from None
    except OSError as err:
        raise RegistryError(f"The lock of {holder} ('{path}') cannot be taken: {err.strerror or err}.") from None
    try:
        yield
    finally:
        lock.release()
