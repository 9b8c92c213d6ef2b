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
