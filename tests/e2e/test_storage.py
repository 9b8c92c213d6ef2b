"""A full disk (or any I/O error on a file gapgates writes): exit 2 naming the path and the error, no temporary file
left behind, nothing promoted. Each command runs as a process whose file size limit (RLIMIT_FSIZE) makes a write
fail with "File too large", as a full disk would; Python ignores SIGXFSZ, so the write raises."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import monitor_data, promoted_for_monitoring

GAPGATES = str(Path(sys.executable).parent / "gapgates")


def _limited(args: list[str], cwd: Path, limit: int) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([GAPGATES, *args], cwd=cwd, capture_output=True, text=True, timeout=600, preexec_fn=cap)


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def _leftovers(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.name.startswith(".") or p.name.endswith(("-wal", "-shm"))
    )


def _check(cancer_csv: Path, tmp_path: Path, *where: str, limit: int) -> subprocess.CompletedProcess[str]:
    args = ["check", "--data", str(cancer_csv), "--target", "target", "--model", "sklearn.linear_model.LogisticRegression"]
    return _limited([*args, *where], tmp_path, limit)


def test_check_reports_on_a_full_disk(cancer_csv, tmp_path):
    proc = _check(cancer_csv, tmp_path, "--out", "out", limit=60_000)
    line = _one_line(proc)
    assert "Could not write 'out/report.json': File too large" in line
    assert _leftovers(tmp_path) == [] and not (tmp_path / "out" / "report.json").exists()


def test_check_history_on_a_full_disk(cancer_csv, tmp_path):
    proc = _check(cancer_csv, tmp_path, "--history", "runs.sqlite", limit=10_000)
    line = _one_line(proc)
    assert "Could not write the history database 'runs.sqlite'" in line and "the run was not recorded" in line
    assert "not a gapgates history" not in line
    assert _leftovers(tmp_path) == [] and not (tmp_path / "runs.sqlite").exists()


@pytest.mark.slow
def test_monitor_reports_on_a_full_disk(tmp_path):
    registry, policy = promoted_for_monitoring(tmp_path / "world")
    monitor_data(300, seed=4).to_csv(tmp_path / "fresh.csv", index=False)
    proc = _limited(
        ["monitor", "--registry", str(registry), "--model-name", "clf", "--data", "fresh.csv", "--target", "label",
         "--policy", str(policy), "--out", "mon"], tmp_path, 20_000,
    )  # fmt: skip
    line = _one_line(proc)  # the monitor records its history row first, beside the registry: that write fails
    assert ("Could not write 'mon/report." in line and "File too large" in line) or (
        "Could not write the history database" in line and "history.sqlite': disk I/O error" in line
    ), line
    assert not (tmp_path / "mon").exists() or _leftovers(tmp_path / "mon") == []
