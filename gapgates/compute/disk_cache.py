"""The strong baseline's fold scores kept on disk between processes, when ``GAPGATES_CACHE_DIR`` names a directory.

A reference model's scores on one fold depend only on the data, the fold's rows, the metrics, the model and its seed:
:mod:`gapgates.compute.baseline` keys them on all of these, and this module adds the versions of scikit-learn, NumPy
and gapgates (a new release may fit differently) and a digest of the references' code (an edited checkout keeps
its installed version). A second ``gapgates check`` of another candidate on the same data
and folds, a flow's retry or a task in another process then reads the references' folds instead of fitting them again
(the folds read cost no fit, as the ones cached in the process). Off unless the variable is set.

Each entry is one ``.npz`` file read with ``allow_pickle=False``, written to a temporary file and renamed into place (a
reader never sees half of one; two processes writing the same key write the same numbers). An entry that cannot be
read, or does not hold what its fold needs, is a miss and is fitted again. The directory is trusted like the history:
scores read from it decide the gate, so it must be owned by the user running the gate and writable by nobody else
(checked; otherwise the run stops with exit 2). It is kept under :data:`MAX_BYTES`, dropping the least recently used
entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gapgates.errors import ConfigError

__all__ = ["ENV", "MAX_BYTES", "Entry", "cache_dir", "load", "store"]

#: The environment variable naming the directory (unset or empty: no disk cache).
ENV = "GAPGATES_CACHE_DIR"
#: The most the directory's entries may take; beyond it the least recently used are removed.
MAX_BYTES = 512 * 2**20

#: One reference on one fold: train scores and test scores by metric, and (classification) the test rows' largest
#: probability and predicted class index (see :mod:`gapgates.compute.baseline`).
Entry = tuple[dict[str, float], dict[str, float], tuple[np.ndarray, np.ndarray] | None]

_checked: dict[str, Path] = {}
_versions: bytes | None = None


def cache_dir() -> Path | None:
    """The directory ``GAPGATES_CACHE_DIR`` names, created if missing (mode 700), or None when unset.

    Raises:
        ConfigError: It cannot be created, is not a directory, or another user owns it or may write to it.
    """
    named = os.environ.get(ENV, "").strip()
    if not named:
        return None
    if named in _checked:
        return _checked[named]
    path = Path(named).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as err:
        raise ConfigError(
            f"{ENV}={named} cannot be used as a cache directory ({err.strerror}). Point it at a writable directory or unset it."
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{ENV}={named} is not a directory. Point it at a directory or unset it.")
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        raise ConfigError(
            f"{ENV}={named} is owned by another user or writable by others, and the scores read from it decide the gate. "
            f"Use a directory of your own (chmod go-w {named}) or unset it."
        )
    _checked[named] = path
    return path


def _file(directory: Path, key: str) -> Path:
    """Where a key's entry lives: the key, the library versions that could change its numbers and the references'
    code (:mod:`gapgates.compute.baseline`), hashed."""
    global _versions
    if _versions is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            own = version("gapgates")  # what gapgates.__version__ says (this layer does not import the package root)
        except PackageNotFoundError:  # a source tree never installed: no version to key on, so nothing is shared
            own = f"unversioned-{os.getpid()}"
        # and the code that defines and scores the references: an edited checkout keeps its installed version
        code = hashlib.sha256(Path(__file__).with_name("baseline.py").read_bytes()).hexdigest()
        _versions = f"{version('scikit-learn')}|{np.__version__}|{own}|{code}".encode()
    return directory / f"{hashlib.sha256(_versions + key.encode()).hexdigest()}.npz"


def load(directory: Path, key: str, *, metrics: Sequence[str], n_test: int, predicted: bool) -> Entry | None:
    """The entry stored for ``key``, or None when there is none or it does not hold what the fold needs.

    Args:
        directory: The cache directory (:func:`cache_dir`).
        key: The fold's key.
        metrics: The metrics it must hold a train and test score of, in order.
        n_test: The fold's test rows (the predictions' length).
        predicted: Whether the test rows' predictions are needed.

    Returns:
        The entry, or None (a miss: fit the fold).
    """
    path = _file(directory, key)
    try:
        with np.load(path, allow_pickle=False) as saved:
            names = [str(m) for m in saved["metrics"]]
            train, test = np.asarray(saved["train"], dtype=float), np.asarray(saved["test"], dtype=float)
            guess = (saved["confidence"], saved["predicted"]) if predicted else None
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    if names != list(metrics) or train.shape != (len(names),) or test.shape != (len(names),):
        return None
    if guess is not None:
        confidence, labels = np.asarray(guess[0], dtype=np.float32), np.asarray(guess[1], dtype=np.int32)
        if confidence.shape != (n_test,) or labels.shape != (n_test,):
            return None
        guess = (confidence, labels)
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    return dict(zip(names, map(float, train), strict=True)), dict(zip(names, map(float, test), strict=True)), guess


def store(directory: Path, entries: dict[str, Entry]) -> None:
    """Write entries (key: entry), each atomically, then keep the directory under :data:`MAX_BYTES`.

    A write that fails (a full disk, a directory removed meanwhile) leaves the run as it is: the cache only saves fits.
    """
    for key, (train, test, guess) in entries.items():
        names = list(test)
        arrays: dict[str, Any] = {
            "metrics": np.asarray(names, dtype=str),
            "train": np.asarray([train[m] for m in names], dtype=float),
            "test": np.asarray([test[m] for m in names], dtype=float),
        }
        if guess is not None:
            arrays["confidence"], arrays["predicted"] = guess
        try:
            fd, part = tempfile.mkstemp(dir=directory, prefix=".part-", suffix=".npz")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, **arrays)
            os.replace(part, _file(directory, key))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(part)
            return
    _prune(directory)


def _prune(directory: Path) -> None:
    """Remove the least recently used entries while they take more than :data:`MAX_BYTES`, and the partial files of
    writers killed more than an hour ago."""
    found = []
    stale = time.time() - 3600
    try:
        with os.scandir(directory) as it:
            for item in it:
                if not item.name.endswith(".npz"):
                    continue
                info = item.stat()
                if not item.name.startswith("."):
                    found.append((info.st_mtime, info.st_size, item.path))
                elif item.name.startswith(".part-") and info.st_mtime < stale:
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
    except OSError:
        return
    total = sum(size for _, size, _ in found)
    for _, size, path in sorted(found):
        if total <= MAX_BYTES:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
