"""Where gapgates will write, checked before it reads or fits anything.

A run that can only fail at its end (a report directory that is a file, a history under a
read-only directory) must fail at its start, in one line, having cost nothing. Each check
looks at what exists and, for a directory, proves it can be written by creating and removing
a probe file in it (permission bits do not tell: root, read-only mounts, ACLs).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gapgates.errors import ConfigError, GapGatesError

__all__ = ["check_directory", "check_file"]


def _existing_ancestor(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if parent.exists() or parent.is_symlink():
            return parent
    return Path(".")


def _probe(directory: Path) -> str | None:
    """Why files cannot be created in ``directory``, or None when they can."""
    try:
        fd, name = tempfile.mkstemp(prefix=".gapgates-probe-", dir=directory)
    except OSError as err:
        return err.strerror or str(err)
    os.close(fd)
    os.unlink(name)
    return None


def _creatable(path: Path, what: str, error: type[GapGatesError]) -> None:
    """``path`` does not exist: its nearest existing ancestor must be a directory that can be written."""
    ancestor = _existing_ancestor(path.parent if path.parent != path else path)
    if not ancestor.is_dir():
        raise error(f"{what} '{path}' cannot be created: '{ancestor}' is a file, not a directory. Choose another path.")
    problem = _probe(ancestor)
    if problem is not None:
        raise error(f"{what} '{path}' cannot be created: '{ancestor}' is not writable ({problem}). Choose a writable path.")


def check_directory(path: str | Path, what: str, *, files: Sequence[str] = (), error: type[GapGatesError] = ConfigError) -> None:
    """Refuse a directory gapgates could not write ``files`` into (it is created later when missing).

    Args:
        path: The directory.
        what: How messages name it (``"The report directory (--out)"``).
        files: Names that will be written in it; none may be a directory.
        error: The error class to raise.

    Raises:
        error: When the path is a file, lies under a file, is not writable, or holds a directory named like a file.
    """
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        _creatable(path, what, error)
        return
    if not path.is_dir():
        raise error(f"{what} '{path}' is a file, not a directory. Pass a directory (it is created when missing).")
    problem = _probe(path)
    if problem is not None:
        raise error(f"{what} '{path}' is not writable ({problem}). Choose a writable directory.")
    for name in files:
        if (path / name).is_dir():
            raise error(
                f"{what} '{path}' holds a directory named '{name}', where gapgates writes a file. Remove it or "
                "choose another directory."
            )


def check_file(path: str | Path, what: str, *, error: type[GapGatesError] = ConfigError) -> None:
    """Refuse a file path gapgates could not create or write.

    Raises:
        error: When the path is a directory or not a regular file, lies under a file, or cannot be written.
    """
    path = Path(path)
    if path.is_dir():
        raise error(f"{what} '{path}' is a directory. Pass a file path.")
    if not (path.exists() or path.is_symlink()):
        _creatable(path, what, error)
        return
    if not path.is_file():
        raise error(f"{what} '{path}' is not a regular file. Pass a file path.")
    try:
        with path.open("r+b"):  # opened for writing, nothing written
            pass
    except OSError as err:
        raise error(f"{what} '{path}' is not writable ({err.strerror or err}). Choose a writable file.") from None
