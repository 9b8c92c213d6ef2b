"""Writing report files: JSON atomically, and a report's three files (``.json``, ``.md``, ``.html``) at once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["write_json", "write_rendered"]


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temp file + ``os.replace``), so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_rendered(out: str | Path, stem: str, payload: dict[str, Any], *, markdown: str, html: str) -> dict[str, Path]:
    """Write ``<stem>.json`` (atomically), ``<stem>.md`` and ``<stem>.html`` (atomically) into ``out`` (created if needed).

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "markdown": out / f"{stem}.md", "html": out / f"{stem}.html"}
    write_json(paths["json"], payload)
    paths["markdown"].write_text(markdown, encoding="utf-8")
    tmp = out / f".{stem}.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, paths["html"])
    return paths
