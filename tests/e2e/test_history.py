"""The run history across processes: concurrent writers, two checks at once, `gapgates history`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from gapgates.history import History
from tests.helpers import ROOT, noisy_classification, run_record

WRITER = textwrap.dedent("""
    import sys, time, pathlib
    sys.path.insert(0, {root!r})
    from gapgates.history import History, RunRecord, MetricRecord
    db, name, go = History(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.01)
    for i in range(40):
        db.add(RunRecord("t", name, None, None, "promote", "accuracy", {{"accuracy": MetricRecord(i, i, i)}}))
""")


def test_two_processes_writing_at_once_are_both_fully_recorded(tmp_path):
    path, go = tmp_path / "h.sqlite", tmp_path / "go"
    History(path).runs()  # create it
    script = WRITER.format(root=str(ROOT))
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), name, str(go)], stderr=subprocess.PIPE) for name in ("a", "b")
    ]
    go.touch()
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    runs = History(path).runs()
    assert sorted(r.model for r in runs).count("a") == 40 and len(runs) == 80
    for name in ("a", "b"):  # each writer's runs are complete and in its own order
        assert [r.gaps["accuracy"].gap for r in runs if r.model == name] == list(range(40))


CREATORS = textwrap.dedent("""
    import sys, time, pathlib
    sys.path.insert(0, {root!r})
    from gapgates.history import History, RunRecord, MetricRecord
    go = pathlib.Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.001)
    for i in range(5):
        History(sys.argv[1]).add(RunRecord("t", sys.argv[3], None, None, "promote", "accuracy",
                                           {{"accuracy": MetricRecord(i, i, i)}}))
""")


def test_processes_creating_the_history_at_once_all_record(tmp_path):
    # The first writers of a new file race to switch it to WAL and create its tables: neither step may
    # answer "database is locked" or let another writer see a part of the schema (seen in CI).
    script = CREATORS.format(root=str(ROOT))
    for round_ in range(10):
        path, go = tmp_path / f"h{round_}.sqlite", tmp_path / f"go{round_}"
        procs = [
            subprocess.Popen([sys.executable, "-c", script, str(path), str(go), name], stderr=subprocess.PIPE)
            for name in ("a", "b", "c")
        ]
        time.sleep(0.3)  # all three waiting on the start line
        go.touch()
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read().decode()
        assert sorted(r.model for r in History(path).runs()) == ["a"] * 5 + ["b"] * 5 + ["c"] * 5


@pytest.mark.slow
def test_two_checks_at_once_are_both_recorded_and_listed(tmp_path):
    data = tmp_path / "data.csv"
    noisy_classification(n=200).to_csv(data, index=False)
    history = tmp_path / "history.sqlite"
    env_root = {"PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gapgates",
                "check",
                "--data",
                str(data),
                "--target",
                "label",
                "--folds",
                "3",
                "--model",
                "sklearn.tree.DecisionTreeClassifier",
                "--name",
                name,
                "--out",
                str(tmp_path / name),
                "--history",
                str(history),
            ],
            env={**os.environ, **env_root},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 1, err  # the unbounded tree is blocked
    proc = subprocess.run(
        [sys.executable, "-m", "gapgates", "history", "--history", str(history), "--json"],
        env={**os.environ, **env_root},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    assert sorted(r["model"] for r in runs) == ["first", "second"]
    assert all(r["decision"] == "block" and r["gaps"]["accuracy"]["gap"] > 0.05 for r in runs)


def test_history_command_table_filter_and_errors(run_cli, tmp_path):
    path = tmp_path / "h.sqlite"
    db = History(path)
    db.add(run_record(model="a", gap=0.03, noise_rate=0.1, diagnosis="noise"))
    db.add(run_record(model="b", gap=0.07, decision="block"))
    proc = run_cli("history", "--history", str(path), "--model", "b")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and "block" in lines[1] and "accuracy 0.0700 [0.0600, 0.0800]" in lines[1]
    proc = run_cli("history", "--history", str(path), "--json", "--last", "1")
    assert [r["model"] for r in json.loads(proc.stdout)] == ["b"]
    proc = run_cli("history", "--history", str(path), "--model", "nobody")
    assert "no runs recorded for model 'nobody'" in proc.stdout
    db.add(run_record(model="b", gap=0.2, decision="retrain", kind="monitor"))
    proc = run_cli("history", "--history", str(path), "--model", "b")
    decisions = [line.split()[4] for line in proc.stdout.strip().splitlines()[1:]]
    assert decisions == ["block", "monitor:retrain"], proc.stdout
    proc = run_cli("history", "--history", str(path), "--kind", "gate", "--json")
    assert [(r["model"], r["kind"]) for r in json.loads(proc.stdout)] == [("a", "gate"), ("b", "gate")]
    proc = run_cli("history", "--history", str(path), "--kind", "monitor")
    assert proc.stdout.count("monitor:retrain") == 1 and "block" not in proc.stdout
    proc = run_cli("history", "--history", str(tmp_path / "missing.sqlite"))
    assert proc.returncode == 2 and "No run history at" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("history")
    assert proc.returncode == 2 and "Pass --history PATH" in proc.stderr
