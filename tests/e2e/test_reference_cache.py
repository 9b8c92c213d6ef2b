"""``GAPGATES_CACHE_DIR`` across whole ``gapgates check`` processes: a second candidate on the same data and folds reads
the strong baseline's folds the first check fitted, and is decided on the same references; a directory others may
write stops a check with exit 2 before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gapgates.compute.disk_cache import ENV

LOGREG = "gapgates.demo.scaled_logistic_regression"
TREE = "sklearn.tree.DecisionTreeClassifier"


def _check(run_cli, data: Path, model: str, out: Path):
    return run_cli("check", "--data", str(data), "--target", "target", "--model", model, "--out", str(out))


def test_a_second_candidate_reads_the_references_the_first_check_fitted(run_cli, cancer_csv, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "cache"))
    first = _check(run_cli, cancer_csv, LOGREG, tmp_path / "logreg")
    second = _check(run_cli, cancer_csv, TREE, tmp_path / "tree")
    assert (first.returncode, second.returncode) == (0, 1), first.stderr + second.stderr  # promote, block
    a = json.loads((tmp_path / "logreg" / "report.json").read_text())["strong_baseline"]
    b = json.loads((tmp_path / "tree" / "report.json").read_text())["strong_baseline"]
    assert a["fits"] == 15 and b["fits"] == 0  # 3 references × 5 folds, fitted once
    assert b["references"] == a["references"]  # the same folds (same data, same seed), the same scores


def test_a_cache_directory_others_may_write_is_bad_input(run_cli, cancer_csv, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(ENV, str(shared))
    proc = _check(run_cli, cancer_csv, LOGREG, tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "writable by others" in lines[0] and "chmod go-w" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and list(shared.iterdir()) == []
    assert not (tmp_path / "out" / "report.json").exists()


@pytest.fixture(autouse=True)
def _no_inherited_cache(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
