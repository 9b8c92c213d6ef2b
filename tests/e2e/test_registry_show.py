"""``gapgates registry show`` as a real subprocess: aligned, separated columns whatever the lengths."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from gapgates.registry import open_registry
from tests.helpers import sqlite_uri

X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]
LONG_ACTOR = "alice.with.a.long.name@example.com"


def _columns(lines: list[str], header: str) -> list[int]:
    """Where each column of the header line starts (two or more spaces separate columns)."""
    import re

    return [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", lines[lines.index(header)])]


@pytest.mark.parametrize("kind", ["directory", "mlflow"])
def test_show_aligns_every_column(tmp_path, run_cli, kind):
    if kind == "mlflow":
        pytest.importorskip("mlflow")
    location = str(tmp_path / "reg") if kind == "directory" else f"mlflow:{sqlite_uri(tmp_path)}"
    reg = open_registry(location)
    first = reg.register(LogisticRegression().fit(X, Y), name="clf", metadata={"decision": "promote"})
    reg.promote(first, actor=LONG_ACTOR, reasons=["known label noise in the March extract"])
    second = reg.register(LogisticRegression(C=0.5).fit(X, Y), name="clf", metadata={"decision": "needs_approval"})
    reg.record(second, "needs_approval", actor="gapgates", reasons=["gap:accuracy above 0.05"])
    reg.record(second, "reject", actor="b", reasons=[])

    proc = run_cli("registry", "show", "--registry", location)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    audit = lines[lines.index("audit:") + 1 :]
    header = next(line for line in audit if line.strip().startswith("time"))
    starts = _columns(audit, header)
    assert len(starts) == 5
    rows = audit[audit.index(header) + 1 :]
    assert len(rows) == 3
    for row in rows:
        for start in starts[1:]:
            assert row[start - 2 : start] == "  " and row[start] != " ", (row, starts)  # separated, aligned
    assert any(f"{LONG_ACTOR}  known label noise" in row for row in rows)
    versions = lines[1 : lines.index("audit:")]
    vstarts = _columns(versions, versions[0])
    assert all(row[s - 2 : s] == "  " for row in versions[1:] for s in vstarts[1:]) and len(versions) == 3
