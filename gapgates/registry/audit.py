"""The append-only audit log: one JSON object per line, fsynced, never rewritten."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from gapgates.registry.base import AuditEntry
from gapgates.registry.files import append_line

__all__ = ["append_entry", "now", "read_entries"]


def now() -> str:
    """UTC time with microseconds, ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def append_entry(path: Path, entry: AuditEntry) -> None:
    """Append one entry and fsync it (callers hold the registry lock)."""
    append_line(path, json.dumps(entry.to_dict(), sort_keys=True))


def read_entries(path: Path) -> tuple[list[AuditEntry], list[str]]:
    """Every readable entry, oldest first, and one problem line per unreadable line."""
    if not path.exists():
        return [], []
    entries, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(AuditEntry.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as err:
            problems.append(f"audit log line {number} is unreadable ({err}).")
    return entries, problems
