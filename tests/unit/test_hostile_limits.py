"""The limits and guards behind the hostile-input contract, one by one (both sides of each), and their docs."""

from __future__ import annotations

import pickle
import socket
import sqlite3
import threading
import time
from contextlib import closing

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.linear_model import LogisticRegression

from gapgates import documents
from gapgates.data.guard import (
    PROBA_TOLERANCE,
    GuardedModel,
    calling,
    locate_folds,
    model_kind,
    output_problem,
    output_problems,
)
from gapgates.errors import ConfigError, UserCodeError
from tests.helpers import doc_page

LIMITS = doc_page("reference/limits.md")


def test_the_docs_document_every_limit_with_its_default_and_how_to_raise_it():
    from gapgates.config import MAX_FITS
    from gapgates.judge.policy import NotifyPolicy
    from gapgates.notify import MAX_RESPONSE_BYTES
    from gapgates.report.charts import MAX_METRICS, MAX_POINTS

    limits = LIMITS.split("## Resource limits", 1)[1].split("\n## ", 1)[0]
    assert f"| {MAX_FITS} | `--max-fits N`" in limits
    assert documents.MAX_DOCUMENT_BYTES == 1 << 20 and "| 1 MiB | `GAPGATES_MAX_DOCUMENT_BYTES`" in limits
    assert documents.MAX_REPORT_BYTES == 64 << 20 and "| 64 MiB | `GAPGATES_MAX_REPORT_BYTES`" in limits
    assert f"| {documents.MAX_DEPTH} | `GAPGATES_MAX_DOCUMENT_DEPTH`" in limits
    assert f"| {NotifyPolicy().timeout:g} s | `[notify] timeout`" in limits
    assert MAX_RESPONSE_BYTES == 64 << 10 and "| 64 KiB |" in limits
    assert f"{MAX_POINTS}, {MAX_METRICS}" in limits and "YAML aliases" in limits and "clipped to the usable cores" in limits
    contract = doc_page("guides/cli.md").split("**Exit codes**", 1)[1].split("\n## ", 1)[0]
    for code in ("`0`", "`1`", "`2`", "`3`", "`130`"):
        assert f"| {code} |" in contract
    assert PROBA_TOLERANCE == 1e-4 and "tolerance `1e-4`" in LIMITS


# --- documents ----------------------------------------------------------------------------------------


def test_the_depth_limit_holds_on_both_sides_and_can_be_raised(tmp_path, monkeypatch):
    at_limit = "x = " + "[" * 31 + "]" * 31 + "\n"  # the document's table is a level too
    over = "x = " + "[" * 32 + "]" * 32 + "\n"
    assert documents.depth(documents.load_toml(at_limit, "t")) == 32
    with pytest.raises(ConfigError, match="nests more than 32 levels"):
        documents.load_toml(over, "t")
    monkeypatch.setenv("GAPGATES_MAX_DOCUMENT_DEPTH", "40")
    assert documents.depth(documents.load_toml(over, "t")) == 33
    monkeypatch.setenv("GAPGATES_MAX_DOCUMENT_DEPTH", "lots")
    with pytest.raises(ConfigError, match="GAPGATES_MAX_DOCUMENT_DEPTH must be a positive integer"):
        documents.load_toml(at_limit, "t")


def test_the_size_limit_holds_on_both_sides_and_can_be_raised(tmp_path, monkeypatch):
    path = tmp_path / "p.toml"
    path.write_bytes(b"#" * 99 + b"\n")
    monkeypatch.setenv("GAPGATES_MAX_DOCUMENT_BYTES", "100")
    assert documents.read_text(path, "Policy file").startswith("#")
    path.write_bytes(b"#" * 100 + b"\n")
    with pytest.raises(ConfigError, match=r"larger than the limit of 100 bytes.*GAPGATES_MAX_DOCUMENT_BYTES"):
        documents.read_text(path, "Policy file")


def test_yaml_anchors_without_aliases_load_and_aliases_are_refused():
    assert documents.load_yaml("gap: &g {max_gap: 0.1}\n", "p") == {"gap": {"max_gap": 0.1}}
    with pytest.raises(ConfigError, match=r"aliases \(\*name\) are not allowed \(line 2\)"):
        documents.load_yaml("a: &g {max_gap: 0.1}\ngap: *g\n", "p")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        documents.load_yaml("!!python/object/apply:os.system ['true']\n", "p")


# --- the guard ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "out", "rows", "classifier", "problem"),
    [
        ("predict_proba", [[0.3, 0.7], [1.0, 0.0]], 2, True, None),
        ("predict_proba", [[0.3, 0.7 + PROBA_TOLERANCE / 2]], 1, True, None),
        ("predict_proba", [[0.3, 0.7 + PROBA_TOLERANCE * 2]], 1, True, "sums to"),
        ("predict_proba", [[np.nan, 0.5]], 1, True, "1 of 2 values are NaN"),
        ("predict_proba", [[-0.2, 1.2]], 1, True, "outside [0, 1]"),
        ("predict_proba", [[0.5, 0.5]], 2, True, "the shape is (1, 2), expected (2, 2)"),
        ("predict_proba", [["a", "b"]], 1, True, "not numbers"),
        ("predict", [0, 1, 1], 3, True, None),
        ("predict", ["yes", "no"], 2, True, None),
        ("predict", ["yes", None], 2, True, "missing"),
        ("predict", [0.5, 2.5], 2, False, None),
        ("predict", [0.5, np.inf], 2, False, "infinite"),
        ("predict", [0, 1], 3, True, "the shape is (2,)"),
        ("decision_function", [0.1, -2.0], 2, True, None),
        ("decision_function", [[0.1, 0.2, np.nan]], 1, True, "NaN"),
    ],
)
def test_output_problems_on_both_sides(method, out, rows, classifier, problem):
    found = output_problem(method, out, rows=rows, classification=classifier, n_classes=2 if method == "predict_proba" else None)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_calling_turns_every_escape_into_one_user_code_error_and_keeps_interrupts():
    with pytest.raises(UserCodeError, match=r"The model m called sys.exit\(0\) in fit on fold 2 of 5; a model cannot"):
        with calling("m", "fit", "on fold 2 of 5"):
            raise SystemExit(0)
    with pytest.raises(UserCodeError, match=r"called os._exit\(0\)"):
        with calling("m", "fit"):
            import os

            os._exit(0)
    with pytest.raises(KeyboardInterrupt):
        with calling("m", "fit"):
            raise KeyboardInterrupt
    import os

    assert os._exit.__name__ == "_exit"  # the real one is back once no guard is on


class _Plain(ClassifierMixin, BaseEstimator):
    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class _NoTags:
    _estimator_type = "regressor"

    def __init__(self, a=1):
        self.a = a

    def get_params(self, deep=True):
        return {"a": self.a}

    def set_params(self, **params):
        self.a = params.get("a", self.a)
        return self

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X))


def test_the_guarded_model_is_an_estimator_of_the_same_kind():
    X = pd.DataFrame({"a": np.arange(20.0)})
    y = pd.Series([0, 1] * 10)
    guarded = GuardedModel(_Plain(), name="plain", folds=locate_folds(X, [(np.arange(10), np.arange(10, 20))]))
    assert is_classifier(guarded) and not hasattr(guarded, "predict_proba")
    copy = clone(guarded)
    assert copy is not guarded and copy.estimator is not guarded.estimator and copy.name == "plain"
    fitted = pickle.loads(pickle.dumps(copy.fit(X.iloc[:10], y.iloc[:10])))
    assert list(fitted.classes_) == [0, 1] and fitted.predict(X.iloc[10:]).shape == (10,)
    assert output_problems([fitted]) == ()
    assert hasattr(GuardedModel(LogisticRegression(), name="lr"), "predict_proba")
    assert model_kind(_NoTags()) == "regressor" and model_kind(GuardedModel(_NoTags())) == "regressor"
    assert model_kind(BaseEstimator()) is None


def test_a_fold_is_named_from_its_rows():
    X = pd.DataFrame({"a": range(10)}, index=range(100, 110))
    folds = locate_folds(X, [(np.arange(5), np.arange(5, 10)), (np.arange(5, 10), np.arange(5))])
    assert folds.where(X.iloc[:5], fitting=True) == "on fold 1 of 2"
    assert folds.where(X.iloc[5:]) == "on the training rows of fold 2 of 2"
    assert folds.where(X.iloc[:3]) == "on 3 rows"


# --- the webhook's deadline and answer cap --------------------------------------------------------------


@pytest.fixture
def slow_server():
    """A server on 127.0.0.1 that answers one byte every 0.5 s (started and stopped here)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(65536)
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 200:
                        if stop.is_set():
                            return
                        conn.send(bytes([byte]))
                        time.sleep(0.5)
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    server.close()
    thread.join(timeout=10)


def test_a_webhook_that_drips_is_cut_at_the_deadline(slow_server):
    from gapgates.judge.policy import NotifyPolicy
    from gapgates.notify import notify

    started = time.monotonic()
    sent = notify("block", "# BLOCK\n", NotifyPolicy(webhook_url=slow_server, timeout=1.5))
    elapsed = time.monotonic() - started
    assert not sent.sent and "within the 1.5 s deadline" in sent.detail
    assert elapsed < 5, elapsed


def test_the_notify_timeout_is_validated_in_the_policy():
    from gapgates.errors import PolicyError
    from gapgates.judge.policy import parse_policy

    assert parse_policy({"notify": {"timeout": 300}}).notify.timeout == 300
    with pytest.raises(PolicyError, match=r"notify\.timeout"):
        parse_policy({"notify": {"timeout": 301}})


# --- the fit ceiling and the workers --------------------------------------------------------------------


def test_the_fit_ceiling_on_both_sides():
    from gapgates.config import MAX_FITS, make_config

    base = {"data": "d.csv", "target": "y", "model": "m.M", "folds": 5}
    assert make_config({**base, "repeats": MAX_FITS // 5}).planned_fits == MAX_FITS
    with pytest.raises(ConfigError, match=r"would fit the model 505 times .* --max-fits 505"):
        make_config({**base, "repeats": MAX_FITS // 5 + 1})
    assert make_config({**base, "repeats": 101, "max_fits": 505}).planned_fits == 505
    with pytest.raises(ConfigError, match=r"× \(1 \+ 5 for the learning curve\)"):
        make_config({**base, "repeats": 20, "learning_curve": True})


def test_workers_are_clipped_to_the_cores_and_the_folds():
    from gapgates.config import make_config, usable_cores

    base = {"data": "d.csv", "target": "y", "model": "m.M", "folds": 3}
    assert make_config({**base, "n_jobs": 10_000}).workers == min(usable_cores(), 3)
    assert make_config({**base, "n_jobs": -1}).workers == min(usable_cores(), 3)
    assert make_config({**base, "n_jobs": -10_000}).workers == 1
    assert make_config({**base, "n_jobs": 1}).workers == 1 and make_config({**base, "n_jobs": 1}).workers_note is None
    assert make_config(base).workers is None


# --- the history is read without writing ----------------------------------------------------------------


def test_reading_a_history_creates_no_file(tmp_path):
    from gapgates.history import History, MetricRecord, RunRecord

    path = tmp_path / "history.sqlite"
    History(path).add(
        RunRecord("2026-01-01T00:00:00+00:00", "m", None, None, "block", "accuracy", {"accuracy": MetricRecord(0.1, 0.0, 0.2)})
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    assert [r.decision for r in History(path).runs()] == ["block"]
    History(path).check()
    assert sorted(p.name for p in tmp_path.iterdir()) == before == ["history.sqlite"]


def test_an_empty_sqlite_file_is_adopted_and_a_foreign_one_refused(tmp_path):
    from gapgates.history import History, MetricRecord, RunRecord

    record = RunRecord("t", "m", None, None, "promote", "accuracy", {"accuracy": MetricRecord(0.0, 0.0, 0.0)})
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert History(empty).add(record) == 1
    foreign = tmp_path / "crm.sqlite"
    with closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE runs (customer TEXT)")  # a table named like ours, another schema
        conn.commit()
    before = foreign.read_bytes()
    with pytest.raises(ConfigError, match=r"belongs to another application \(tables: runs\)"):
        History(foreign).add(record)
    assert foreign.read_bytes() == before
