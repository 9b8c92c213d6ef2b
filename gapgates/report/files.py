"""Writing report files: JSON atomically, and a report's files (``.json``, ``.md``, ``.html``) as one set.

A set is written so that a kill at any instant leaves files of one run only, old or new, never a mix:
every new file is written beside its target first (``.<name>.tmp``), then the old files are removed,
then the new ones are moved in place, the JSON last (its presence means the set is complete). An
``OSError`` (a full disk, no permission) removes the temporary files and raises one
:class:`~gapgates.errors.StorageError` naming the path.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gapgates.errors import storage_error

__all__ = ["write_json", "write_rendered", "write_set"]


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _discard(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temp file + ``os.replace``), so a reader never sees half a report.

    Raises:
        StorageError: When it cannot be written (nothing is left behind; the old file is unchanged).
    """
    write_set({path: json.dumps(payload, indent=2, default=str) + "\n"})


def write_set(files: Mapping[Path, str]) -> None:
    """Write files that belong together (a report's JSON, Markdown and HTML) so that a kill at any instant leaves files
    of one run only: all written to temporary files first, then the old ones removed, then the new ones moved in place,
    the first file (the JSON) last.

    Raises:
        StorageError: When one cannot be written; every temporary file is removed and the old files are unchanged.
    """
    order = list(files)
    written: list[Path] = []
    for path in order:
        tmp = _tmp(path)
        try:
            written.append(tmp)
            tmp.write_text(files[path], encoding="utf-8")
        except OSError as err:
            _discard(written)
            raise storage_error(path, err) from None
    try:
        if len(order) > 1:
            for path in order:  # the JSON first: without it, what is left is never mistaken for a complete set
                path.unlink(missing_ok=True)
        for path in [*order[1:], order[0]]:
            os.replace(_tmp(path), path)
    except OSError as err:
        _discard(written)
        raise storage_error(order[0].parent, err) from None


def write_rendered(out: str | Path, stem: str, payload: dict[str, Any], *, markdown: str, html: str) -> dict[str, Path]:
    """Write ``<stem>.json``, ``<stem>.md`` and ``<stem>.html`` into ``out`` (created if needed) as one set
    (:func:`write_set`).

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.

    Raises:
        StorageError: When the directory or a file cannot be written.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise storage_error(out, err, what="create") from None
    paths = {"json": out / f"{stem}.json", "markdown": out / f"{stem}.md", "html": out / f"{stem}.html"}
    write_set(
        {paths["json"]: json.dumps(payload, indent=2, default=str) + "\n", paths["markdown"]: markdown, paths["html"]: html}
    )
    return paths
