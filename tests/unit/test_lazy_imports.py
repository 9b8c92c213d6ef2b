"""The fixed cost of a command scales with what it uses: the commands that read only (``--help``, ``history``,
``report --from``) import neither Great Expectations nor scikit-learn's estimators nor cleanlab.

Each command runs in a fresh interpreter (the test process has imported everything already), through click's
``CliRunner``, and the probe prints which of the heavy modules ended up in ``sys.modules``: a module-level import
added back anywhere on a command's path fails its test. ``check`` without and with ``--registry`` is in
``tests/e2e/test_lazy_imports.py`` (it fits models).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import real_run

ROOT = Path(__file__).resolve().parents[2]

#: Modules a read-only command must not import (their imports cost seconds together).
HEAVY = (
    "great_expectations",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "cleanlab",
    "scipy.stats",
    "prefect",
)

PROBE = """
import json, sys
from click.testing import CliRunner
from gapgates.cli.main import cli
result = CliRunner().invoke(cli, json.loads(sys.argv[1]))
heavy = [m for m in json.loads(sys.argv[2]) if m in sys.modules]
print(json.dumps({"exit": result.exit_code, "output": result.output, "heavy": heavy}))
"""


def loaded_after(*args: str, heavy: tuple[str, ...] = HEAVY, ok: tuple[int, ...] = (0,)) -> tuple[int, list[str]]:
    """Run one gapgates command in a new interpreter; its exit code (one of ``ok``) and the modules of ``heavy`` it
    imported."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(list(heavy))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["exit"] in ok, found["output"]
    return found["exit"], found["heavy"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One real gate run: its report directory and the history it was recorded in."""
    tmp = tmp_path_factory.mktemp("lazy")
    history = tmp / "history.sqlite"
    return real_run(tmp, history=history), history


def test_the_probe_sees_what_a_command_imports():
    """The probe itself: a module every command imports is reported."""
    assert loaded_after("--help", heavy=("click", "great_expectations")) == (0, ["click"])


def test_help_imports_no_heavy_library():
    assert loaded_after("--help") == (0, [])


def test_history_imports_no_heavy_library(recorded):
    _, history = recorded
    assert loaded_after("history", "--history", str(history)) == (0, [])


def test_report_from_imports_no_heavy_library(recorded, tmp_path):
    out, _ = recorded
    assert loaded_after("report", "--from", str(out), "--out", str(tmp_path)) == (0, [])
    assert (tmp_path / "report.html").is_file() and (tmp_path / "report.md").is_file()
