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
from pathlib import Path
from typing import Any

from gapgates.errors import IntegrityError

__all__ = [
    "TEMP_SUFFIX", "append_line", "atomic_write", "checked", "fsync_dir", "read_json", "sha256_bytes", "write_json",
]

TEMP_SUFFIX = ".tmp"


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


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


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def append_line(path: Path, line: str) -> None:
    """Append one line with a single ``write``, then flush and fsync (the file is opened ``O_APPEND``).

    If a previous writer died mid-line, the new line starts on a line of its own.
    """
    data = line.rstrip("\n").encode() + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            with open(path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
