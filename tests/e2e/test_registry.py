"""LocalRegistry across processes: SIGKILL at random moments, eight processes promoting at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from gapgates.registry import LocalRegistry
from tests.helpers import CONCURRENT, CRASH, ROOT


def python_c(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


def test_sigkill_at_random_moments_never_breaks_production(tmp_path):
    trials = 60
    proc = python_c(CRASH, str(tmp_path / "reg"), str(trials), "1234")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    results = [r for r in lines if "trial" in r]
    assert len(results) == trials
    outcomes = {"old": 0, "new": 0}
    for r in results:
        allowed = {r["old"]} if r["new"] is None else {r["old"], r["new"]}
        assert r["production"] in allowed, r
        assert r["shown"] == r["production"] and r["loaded"] == "DummyClassifier" and r["problems"] == [], r
        outcomes["new" if r["production"] != r["old"] else "old"] += 1
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes  # kills landed before and after the switch
    reg = LocalRegistry(tmp_path / "reg")
    assert reg.verify() == []
    promotes = [e for e in reg.audit() if e.action == "promote"]
    assert len(promotes) >= outcomes["new"] + 4  # every switch was audited first (seed + 3 calibration runs)


def test_eight_processes_promoting_at_once(tmp_path):
    proc = python_c(CONCURRENT, str(tmp_path / "reg"), "8")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["codes"] == [0] * 8
    candidates = set(out["versions"])
    assert len(candidates) == 8
    reg = LocalRegistry(tmp_path / "reg")
    entries = reg.audit()
    assert len(entries) == 8 and {e.version for e in entries} == candidates
    assert {e.actor for e in entries} == {f"child{i}" for i in range(8)}
    # serialised: each promoter saw the previous one's switch
    assert [e.previous for e in entries] == [None] + [e.version for e in entries[:-1]]
    assert reg.production == entries[-1].version and reg.production in candidates
    assert [p for p in (tmp_path / "reg").rglob("*") if p.name.endswith(".tmp")] == []
    assert reg.verify() == []
    assert type(reg.load()).__name__ == "DummyClassifier"
