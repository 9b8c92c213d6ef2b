"""The run history: SQLite in WAL mode, concurrent writers, `gapgates history`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, noisy_classification
from report_fixtures import load, real_run

from gapgates.errors import ConfigError
from gapgates.history import History, MetricRecord, RunRecord, record_from_report


def _record(model: str = "m", gap: float = 0.02, **kw) -> RunRecord:
    fields = {"time": "2026-01-01T00:00:00+00:00", "model": model, "version": None, "fingerprint": "f" * 64,
              "decision": "promote", "primary_metric": "accuracy",
              "gaps": {"accuracy": MetricRecord(gap, gap - 0.01, gap + 0.01), "f1": MetricRecord(0.1, None, None)}}
    return RunRecord(**{**fields, **kw})


def test_round_trip_keeps_every_field(tmp_path):
    db = History(tmp_path / "sub" / "h.sqlite")
    first = db.add(_record(noise_rate=0.12, diagnosis="noise", version="v3", decision="block"))
    db.add(_record(model="other", gap=0.5))
    (run,) = db.runs(model="m")
    assert run.id == first and run.version == "v3" and run.decision == "block"
    assert run.noise_rate == 0.12 and run.diagnosis == "noise" and run.primary_gap == 0.02
    assert run.gaps["accuracy"] == MetricRecord(0.02, 0.01, 0.03) and run.gaps["f1"] == MetricRecord(0.1, None, None)
    assert [r.model for r in db.runs()] == ["m", "other"]
    assert [r.id for r in db.runs(last=1)] == [first + 1]
    with sqlite3.connect(tmp_path / "sub" / "h.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_record_from_a_real_report(tmp_path):
    report = load(real_run(tmp_path))
    rec = record_from_report({**report, "noise": {"rate": 0.2}, "diagnosis": {"label": "overfit"},
                              "registry": {"version": 4}})
    assert rec.model == "tree" and rec.decision == "block" and rec.fingerprint == report["data"]["fingerprint"]
    assert rec.gaps["accuracy"].gap == pytest.approx(report["gap"]["accuracy"]["gap_mean"])
    assert rec.gaps["accuracy"].ci_high == pytest.approx(report["gap"]["accuracy"]["gap_ci_high"])
    assert (rec.noise_rate, rec.diagnosis, rec.version) == (0.2, "overfit", "4")
    assert record_from_report(report).noise_rate == pytest.approx(report["noise"]["rate"])
    assert record_from_report({**report, "noise": None}).noise_rate is None


def test_not_a_database_is_a_config_error(tmp_path):
    bad = tmp_path / "h.sqlite"
    bad.write_text("this is not sqlite " * 100, encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a gapgates history"):
        History(bad).runs()
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        History(tmp_path / "dir.sqlite").add(_record())


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
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), name, str(go)], stderr=subprocess.PIPE)
             for name in ("a", "b")]
    go.touch()
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    runs = History(path).runs()
    assert sorted(r.model for r in runs).count("a") == 40 and len(runs) == 80
    for name in ("a", "b"):  # each writer's runs are complete and in its own order
        assert [r.gaps["accuracy"].gap for r in runs if r.model == name] == list(range(40))


@pytest.mark.slow
def test_two_checks_at_once_are_both_recorded_and_listed(tmp_path):
    data = tmp_path / "data.csv"
    noisy_classification(n=200).to_csv(data, index=False)
    history = tmp_path / "history.sqlite"
    env_root = {"PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gapgates", "check", "--data", str(data), "--target", "label", "--folds", "3",
             "--model", "sklearn.tree.DecisionTreeClassifier", "--name", name, "--out", str(tmp_path / name),
             "--history", str(history)],
            env={**os.environ, **env_root}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("first", "second")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 1, err  # the unbounded tree is blocked
    proc = subprocess.run([sys.executable, "-m", "gapgates", "history", "--history", str(history), "--json"],
                          env={**os.environ, **env_root}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    assert sorted(r["model"] for r in runs) == ["first", "second"]
    assert all(r["decision"] == "block" and r["gaps"]["accuracy"]["gap"] > 0.05 for r in runs)


def test_history_command_table_filter_and_errors(run_cli, tmp_path):
    path = tmp_path / "h.sqlite"
    db = History(path)
    db.add(_record(model="a", gap=0.03, noise_rate=0.1, diagnosis="noise"))
    db.add(_record(model="b", gap=0.07, decision="block"))
    proc = run_cli("history", "--history", str(path), "--model", "b")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and "block" in lines[1] and "accuracy 0.0700 [0.0600, 0.0800]" in lines[1]
    proc = run_cli("history", "--history", str(path), "--json", "--last", "1")
    assert [r["model"] for r in json.loads(proc.stdout)] == ["b"]
    proc = run_cli("history", "--history", str(path), "--model", "nobody")
    assert "no runs recorded for model 'nobody'" in proc.stdout
    proc = run_cli("history", "--history", str(tmp_path / "missing.sqlite"))
    assert proc.returncode == 2 and "No run history at" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("history")
    assert proc.returncode == 2 and "Pass --history PATH" in proc.stderr


def test_history_path_defaults_and_config_file_paths(tmp_path):
    from gapgates.config import load_config, make_config

    base = {"data": "d.csv", "target": "y", "model": "m"}
    assert make_config(base).history_path is None
    beside_reports = make_config({**base, "out": tmp_path / "reports" / "m1"}).history_path
    assert beside_reports == tmp_path / "reports" / "history.sqlite"
    assert make_config({**base, "out": tmp_path / "r", "history": tmp_path / "h.db"}).history_path == tmp_path / "h.db"
    toml = tmp_path / "conf" / "gapgates.toml"
    toml.parent.mkdir()
    toml.write_text('data = "d.csv"\ntarget = "y"\nmodel = "m"\nhistory = "runs.sqlite"\n', encoding="utf-8")
    assert make_config(load_config(toml)).history_path == tmp_path / "conf" / "runs.sqlite"
