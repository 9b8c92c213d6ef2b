"""The run history: SQLite in WAL mode, round trips, unreadable files, where the file goes (processes: tests/e2e)."""

from __future__ import annotations

import sqlite3

import pytest

from gapgates.errors import ConfigError
from gapgates.history import History, MetricRecord
from tests.helpers import run_record


def test_round_trip_keeps_every_field(tmp_path):
    db = History(tmp_path / "sub" / "h.sqlite")
    first = db.add(run_record(noise_rate=0.12, diagnosis="noise", version="v3", decision="block"))
    db.add(run_record(model="other", gap=0.5))
    (run,) = db.runs(model="m")
    assert run.id == first and run.version == "v3" and run.decision == "block"
    assert run.noise_rate == 0.12 and run.diagnosis == "noise" and run.primary_gap == 0.02
    assert run.gaps["accuracy"] == MetricRecord(0.02, 0.01, 0.03) and run.gaps["f1"] == MetricRecord(0.1, None, None)
    assert [r.model for r in db.runs()] == ["m", "other"]
    assert [r.id for r in db.runs(last=1)] == [first + 1]
    with sqlite3.connect(tmp_path / "sub" / "h.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_not_a_database_is_a_config_error(tmp_path):
    bad = tmp_path / "h.sqlite"
    bad.write_text("this is not sqlite " * 100, encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a gapgates history"):
        History(bad).runs()
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        History(tmp_path / "dir.sqlite").add(run_record())


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


def test_run_kinds_are_stored_filtered_and_older_files_gain_the_column(tmp_path):
    path = tmp_path / "h.sqlite"
    with sqlite3.connect(path) as conn:  # a history written before run kinds: no `kind` column
        conn.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, model TEXT NOT NULL,"
            " version TEXT, fingerprint TEXT, decision TEXT NOT NULL, primary_metric TEXT, noise_rate REAL,"
            " diagnosis TEXT);"
            "CREATE TABLE gaps (run_id INTEGER NOT NULL, metric TEXT NOT NULL, gap REAL, ci_low REAL, ci_high REAL,"
            " PRIMARY KEY (run_id, metric));"
            "INSERT INTO runs (time, model, decision) VALUES ('t', 'm', 'promote');"
        )
    db = History(path)
    assert [(r.kind, r.decision) for r in db.runs(kind="gate")] == [("gate", "promote")]  # read before migrating
    assert db.runs(kind="monitor") == []
    db.add(run_record(decision="retrain", kind="monitor", gap=0.2))
    db.add(run_record(decision="block", gap=0.03))
    assert [r.kind for r in db.runs()] == ["gate", "monitor", "gate"]
    assert [r.decision for r in db.runs(kind="gate")] == ["promote", "block"]
    assert [(r.decision, r.primary_gap) for r in db.runs(kind="monitor", model="m")] == [("retrain", 0.2)]
    assert [r.kind for r in db.runs(kind="gate", last=1)] == ["gate"]


def test_the_gap_trend_reads_gate_runs_only(tmp_path):
    from gapgates.compute.trend import load_trend

    db = History(tmp_path / "h.sqlite")
    for gap in (0.01, 0.012, 0.011, 0.013):
        db.add(run_record(gap=gap))
    db.add(run_record(gap=0.4, kind="monitor", decision="retrain"))  # a production gap, not a training gap
    trend = load_trend(db.path, model="m", metric="accuracy", current=0.012, window=5)
    assert 0.4 not in trend.series and len(trend.series) == 5
