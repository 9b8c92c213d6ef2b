"""The append-only audit log: one JSON object per line, fsynced, never rewritten."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from gapgates.errors import brief
from gapgates.registry.base import AuditEntry
from gapgates.registry.files import append_line, read_bytes

__all__ = ["append_entry", "now", "read_entries"]


def now() -> str:
    """UTC time with microseconds, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def append_entry(path: Path, entry: AuditEntry) -> None:
    """Append one entry and fsync it (callers hold the registry lock)."""
    append_line(path, json.dumps(entry.to_dict(), sort_keys=True))


def read_entries(path: Path) -> tuple[list[AuditEntry], list[str]]:
    """Every readable entry, oldest first, and one problem line per unreadable line (not UTF-8, not an entry).

    Raises:
        RegistryError: When the log is a link or not a regular file (it is never followed).
    """
    if not path.exists() and not path.is_symlink():
        return [], []
    entries, problems = [], []
    for number, raw in enumerate(read_bytes(path, "The audit log").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise TypeError(f"a JSON {type(data).__name__}, not an object")
            entries.append(AuditEntry.from_dict(data))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as err:
            detail = "nested too deeply" if isinstance(err, RecursionError) else brief(str(err), 120)
            problems.append(f"audit log line {number} is unreadable ({detail}).")
    return entries, problems
