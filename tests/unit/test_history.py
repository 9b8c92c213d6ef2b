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


#: The columns of the ``runs`` table of the first history files, before any column was added.
FIRST_COLUMNS = (
    "id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, model TEXT NOT NULL, version TEXT, fingerprint TEXT,"
    " decision TEXT NOT NULL, primary_metric TEXT, noise_rate REAL, diagnosis TEXT"
)


def older_file(path, added: str, rows: str) -> None:
    """A history file as an older gapgates wrote it: the first columns, then ``added``; ``rows``: INSERT statements."""
    with sqlite3.connect(path) as conn:
        conn.executescript(
            f"CREATE TABLE runs ({FIRST_COLUMNS}{added});"
            "CREATE TABLE gaps (run_id INTEGER NOT NULL, metric TEXT NOT NULL, gap REAL, ci_low REAL, ci_high REAL,"
            " PRIMARY KEY (run_id, metric));" + rows
        )


def test_run_kinds_are_stored_filtered_and_older_files_gain_the_column(tmp_path):
    path = tmp_path / "h.sqlite"
    # a history written before run kinds: no `kind` column
    older_file(path, "", "INSERT INTO runs (time, model, decision) VALUES ('t', 'm', 'promote');")
    db = History(path)
    assert [(r.kind, r.decision) for r in db.runs(kind="gate")] == [("gate", "promote")]  # read before migrating
    assert db.runs(kind="monitor") == []
    db.add(run_record(decision="retrain", kind="monitor", gap=0.2))
    db.add(run_record(decision="block", gap=0.03))
    assert [r.kind for r in db.runs()] == ["gate", "monitor", "gate"]
    assert [r.decision for r in db.runs(kind="gate")] == ["promote", "block"]
    assert [(r.decision, r.primary_gap) for r in db.runs(kind="monitor", model="m")] == [("retrain", 0.2)]
    assert [r.kind for r in db.runs(kind="gate", last=1)] == ["gate"]


def test_an_outcome_is_recorded_pending_and_settled_in_one_update(tmp_path):
    db = History(tmp_path / "h.sqlite")
    pending = db.add(run_record(version="v2", outcome="pending", registry="/srv/registry", noise_rate=0.1))
    (run,) = db.runs()
    assert (run.outcome, run.registry, run.alias, run.promoted) == ("pending", "/srv/registry", None, False)
    db.settle(pending, outcome="promoted")
    assert db.runs()[0].outcome == "promoted" and db.runs()[0].promoted
    refused = db.add(run_record(version="v3", outcome="pending"))
    db.settle(refused, outcome="refused", decision="block")
    assert (db.runs()[-1].decision, db.runs()[-1].outcome, db.runs()[-1].promoted) == ("block", "refused", False)
    with pytest.raises(ConfigError, match="outcome is one of pending, promoted"):
        db.settle(refused, outcome="maybe")
    with pytest.raises(ConfigError, match="holds no run 99 to settle"):
        db.settle(99, outcome="promoted")


@pytest.mark.parametrize(
    ("decision", "outcome", "approved", "promoted"),
    [
        ("promote", None, None, True),  # no registry: the decision stands
        ("promote", "promoted", None, True),
        ("promote", "pending", None, False),  # recorded before a switch nobody confirmed
        ("promote", "unfinished", None, False),
        ("promote", "withdrawn", None, False),
        ("promote", "registered", None, False),
        ("block", "refused", None, False),
        ("block", None, None, False),
        ("needs_approval", "promoted", True, True),
        ("needs_approval", "blocked", False, False),
    ],
)
def test_a_run_counts_as_promoted_only_once_production_moved(decision, outcome, approved, promoted):
    approval = None if approved is None else {"approved": approved, "actor": "a", "reason": "r", "timed_out": False}
    assert run_record(decision=decision, outcome=outcome, approval=approval).promoted is promoted


def test_older_files_gain_the_outcome_columns_and_values_gapgates_never_writes_are_named(tmp_path):
    path = tmp_path / "h.sqlite"
    older_file(  # a history written before outcomes were recorded
        path,
        ", kind TEXT NOT NULL DEFAULT 'gate'",
        "INSERT INTO runs (time, model, decision, noise_rate) VALUES ('t', 'm', 'promote', 'lots');"
        "INSERT INTO gaps VALUES (1, 'accuracy', 'wide', 0.1, NULL);",
    )
    db = History(path)
    runs, problems = db.read()  # read before migrating: no outcome column yet
    assert [(r.decision, r.outcome, r.noise_rate, r.primary_gap) for r in runs] == [("promote", None, None, None)]
    assert problems == [
        "run 1: the accuracy gap 'wide' is not a number (read as missing).",
        "run 1: the noise rate 'lots' is not a number (read as missing).",
    ]
    db.add(run_record(version="v1", outcome="pending"))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE runs SET outcome = 'probably' WHERE id = 2")
    runs, problems = db.read()
    assert runs[1].outcome == "pending" and not runs[1].promoted  # an unknown outcome is not taken for promoted
    assert "the outcome 'probably' is not one gapgates writes" in problems[-1]


def test_the_gap_trend_reads_gate_runs_only(tmp_path):
    from gapgates.compute.trend import load_trend

    db = History(tmp_path / "h.sqlite")
    for gap in (0.01, 0.012, 0.011, 0.013):
        db.add(run_record(gap=gap))
    db.add(run_record(gap=0.4, kind="monitor", decision="retrain"))  # a production gap, not a training gap
    trend = load_trend(db.path, model="m", metric="accuracy", current=0.012, window=5)
    assert 0.4 not in trend.series and len(trend.series) == 5


def test_a_label_free_report_is_an_estimate_run_with_its_batch_and_older_files_gain_the_column(tmp_path):
    from gapgates.history import record_from_report

    path = tmp_path / "h.sqlite"
    older_file(  # a history written before batches were recorded
        path,
        ", kind TEXT NOT NULL DEFAULT 'gate', outcome TEXT, registry TEXT, alias TEXT",
        "INSERT INTO runs (time, model, version, decision) VALUES ('t0', 'clf', 'v1', 'promote');",
    )
    estimate = {"scores": {"accuracy": {"gap_mean": 0.2, "gap_ci_low": 0.15, "gap_ci_high": 0.25, "estimated": 0.7}}}
    report = {
        "kind": "monitor", "created": "t1", "model": {"name": "clf"}, "registry": {"version": "v1"}, "decision": "retrain",
        "primary_metric": "accuracy", "gap": {}, "data": {"fingerprint": "f"}, "estimate": estimate,
        "batch": {"id": "b1", "source": "given"},
    }  # fmt: skip
    record = record_from_report(report)
    assert (record.kind, record.batch, record.gaps["accuracy"]) == ("estimate", "b1", MetricRecord(0.2, 0.15, 0.25))
    db = History(path)
    assert db.runs()[0].batch is None  # read before migrating: no batch column yet
    db.add(record)
    labelled = record_from_report({**report, "estimate": None, "gap": {"accuracy": {"gap_mean": 0.21}}, "created": "t2"})
    assert labelled.kind == "monitor" and labelled.batch == "b1"
    db.add(labelled)
    assert [(r.kind, r.batch) for r in db.runs()] == [("gate", None), ("estimate", "b1"), ("monitor", "b1")]
    assert db.estimate_of("clf", version="v1", batch="b1").time == "t1"
    assert db.estimate_of("clf", version="v2", batch="b1") is None and db.estimate_of("clf", version="v1", batch=None) is None


def test_older_files_gain_the_estimator_column_and_a_gate_run_records_its_model(tmp_path):
    """The model that measured a run's noise rate is recorded with it (label_noise:increase compares only rates the
    same model measured); a file written before it was gains the column, its old rows read as None."""
    from gapgates.history import estimator_identity, record_from_report

    path = tmp_path / "h.sqlite"
    older_file(  # a history written before models were recorded
        path,
        ", kind TEXT NOT NULL DEFAULT 'gate', outcome TEXT, registry TEXT, alias TEXT, batch TEXT",
        "INSERT INTO runs (time, model, decision, noise_rate) VALUES ('t0', 'clf', 'promote', 0.1);",
    )
    db = History(path)
    assert db.runs()[0].estimator is None  # read before migrating: no column yet
    spec, params = "sklearn.svm.SVC", {"C": 2, "n_jobs": 4}
    report = {"created": "t1", "model": {"name": "clf", "spec": spec, "params": params}, "decision": "promote"}
    db.add(record_from_report(report))
    old, new = db.runs()
    assert old.estimator is None and new.estimator == estimator_identity(spec, {"C": 2.0})
    assert "n_jobs" not in new.estimator  # how it is fitted is not which model it is
    assert record_from_report({"created": "t2", "model": {"name": "clf"}, "decision": "block"}).estimator is None
