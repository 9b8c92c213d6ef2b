"""The same registry behaviour on LocalRegistry and on MlflowRegistry against a real local MLflow store.

MLflow runs on a sqlite backend in ``tmp_path`` (no server). Crash and
concurrency tests are LocalRegistry-only (test_registry.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from gapgates.enforcement import enforce
from gapgates.errors import IntegrityError, PromotionBlocked, RegistryError
from gapgates.judge.checks import Outcome
from gapgates.registry import LocalRegistry, open_registry
from tests.helpers import PERMISSIVE, STRICT, gate_run, write_noisy

X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]
META = {"decision": "promote", "policy_hash": "ph1", "data_fingerprint": "fp1",
        "gap": {"accuracy": {"gap_mean": 0.02, "test_mean": 0.9}}}


def sqlite_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory) -> str:
    """One sqlite store per module (creating its tables takes seconds); each test uses its own model name."""
    pytest.importorskip("mlflow", reason="needs the mlflow extra: pip install 'gapgates[mlflow]'")
    return sqlite_uri(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture(params=["local", "mlflow"])
def registry(request, tmp_path):
    if request.param == "local":
        return LocalRegistry(tmp_path / "reg")
    store = request.getfixturevalue("mlflow_store")
    return open_registry(f"mlflow:{store}", model_name=f"model-{request.node.name.split('[')[0]}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    data = write_noisy(root / "noisy.csv")
    passing, blocked = gate_run(data, root / "scratch", PERMISSIVE), gate_run(data, root / "scratch", STRICT)
    assert passing.decision.outcome is Outcome.PROMOTE and blocked.decision.outcome is Outcome.BLOCK
    return passing, blocked


def flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[150] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_register_promote_load(registry):
    v1 = registry.register(LogisticRegression().fit(X, Y), name="clf", metadata=META, report={"x": 1})
    assert registry.production is None
    registry.promote(v1, actor="alice", reasons=["ok"])
    v2 = registry.register(DecisionTreeClassifier().fit(X, Y), name="clf", metadata=META)
    assert registry.production == v1
    assert isinstance(registry.load(), LogisticRegression)
    assert isinstance(registry.load(v2), DecisionTreeClassifier)
    infos = registry.versions()
    assert [(v.version, v.status) for v in infos] == [(v1, "production"), (v2, "registered")]
    assert infos[0].decision == "promote" and len(infos[0].sha256) == 64
    assert infos[0].metadata["gap"]["accuracy"]["gap_mean"] == pytest.approx(0.02)
    entry = registry.audit()[0]
    assert (entry.action, entry.version, entry.actor, entry.reasons) == ("promote", v1, "alice", ("ok",))
    assert (entry.policy_hash, entry.data_fingerprint) == ("ph1", "fp1")
    assert registry.verify() == []


def test_flipped_byte_is_refused(registry):
    v1 = registry.register(LogisticRegression().fit(X, Y), name="clf", metadata=META)
    registry.promote(v1)
    v2 = registry.register(LogisticRegression().fit(X, Y), name="clf", metadata=META)
    flip_byte(registry.model_path(v2))
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        registry.load(v2)
    with pytest.raises(IntegrityError):
        registry.promote(v2)
    assert registry.production == v1
    problems = registry.verify()
    assert len(problems) == 1 and f"version {v2} " in problems[0]


def test_rollback_restores_previous_and_is_audited(registry):
    with pytest.raises(RegistryError, match="no previous production version"):
        registry.rollback()
    versions = [registry.register(LogisticRegression().fit(X, Y), name="clf", metadata=META) for _ in range(3)]
    for v in versions:
        registry.promote(v)
    assert registry.rollback(actor="bob") == versions[1] and registry.production == versions[1]
    assert registry.rollback() == versions[0]
    assert registry.rollback(to=versions[2]) == versions[2]
    rollbacks = [e for e in registry.audit() if e.action == "rollback"]
    assert [(e.previous, e.version) for e in rollbacks] == [
        (versions[2], versions[1]), (versions[1], versions[0]), (versions[0], versions[2])
    ]
    assert rollbacks[0].actor == "bob"
    with pytest.raises(RegistryError, match="There is no version '99'"):
        registry.rollback(to="99")


def test_record_audits_without_switching(registry):
    v = registry.register(LogisticRegression().fit(X, Y), name="clf", metadata=META)
    registry.record(v, "needs_approval", reasons=["gap near the limit"])
    registry.record(v, "approve", actor="carol")
    assert registry.production is None
    assert [(e.action, e.actor) for e in registry.audit()] == [("needs_approval", "gapgates"), ("approve", "carol")]
    with pytest.raises(RegistryError, match="must be one of"):
        registry.record(v, "delete")


def test_blocked_candidate_never_becomes_production(registry, runs):
    passing, blocked = runs
    first = enforce(passing, registry, promote=True)
    assert first.promoted and first.production == first.version
    second = enforce(blocked, registry, promote=True)
    assert not second.promoted and second.production == first.version
    with pytest.raises(PromotionBlocked, match="Promotion blocked \\(block\\)") as err:
        enforce(blocked, registry, promote=True, raise_on_block=True)
    assert err.value.decision is blocked.decision
    assert registry.production == first.version
    actions = [(e.action, e.version) for e in registry.audit()]
    assert actions[:2] == [("promote", first.version), ("block", second.version)]
    assert registry.audit()[1].reasons == tuple(blocked.decision.reasons)
    statuses = {v.version: (v.status, v.decision) for v in registry.versions()}
    assert statuses[second.version] == ("registered", "block")


def test_mlflow_alias_and_version_tags(mlflow_store, runs):
    from mlflow import MlflowClient

    reg = open_registry(f"mlflow:{mlflow_store}")
    done = enforce(runs[0], reg, promote=True)  # registered under the run's model name
    client = MlflowClient(tracking_uri=mlflow_store, registry_uri=mlflow_store)
    mv = client.get_model_version_by_alias("LogisticRegression", "champion")
    assert str(mv.version) == done.version
    assert mv.tags["gapgates.decision"] == "promote"
    assert float(mv.tags["gapgates.gap.accuracy.gap_mean"]) == pytest.approx(
        runs[0].evidence.gap.primary.gap_mean, abs=1e-5
    )
    assert mv.tags["gapgates.policy_hash"] == runs[0].policy_hash
    assert not list(Path.cwd().glob("mlruns"))  # artifacts live next to the store, not in the working directory
    assert (Path(mlflow_store.removeprefix("sqlite:///")).parent / "mlartifacts").is_dir()


def test_mlflow_missing_extra_gives_install_hint(monkeypatch, tmp_path):
    from gapgates.registry.mlflow import MlflowRegistry

    monkeypatch.setitem(sys.modules, "mlflow", None)  # what an environment without the extra looks like
    with pytest.raises(ImportError, match=r"pip install 'gapgates\[mlflow\]'"):
        MlflowRegistry(sqlite_uri(tmp_path))


def test_mlflow_registry_cli(tmp_path, run_cli):
    pytest.importorskip("mlflow")
    reg = open_registry(f"mlflow:{sqlite_uri(tmp_path)}")
    reg.promote(reg.register(LogisticRegression().fit(X, Y), name="clf", metadata=META))
    proc = run_cli("registry", "show", "--registry", f"mlflow:{sqlite_uri(tmp_path)}", "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    shown = json.loads(proc.stdout)
    assert shown["production"] == "1" and [v["version"] for v in shown["versions"]] == ["1"]


def test_check_registers_and_promotes_into_an_mlflow_store(tmp_path, run_cli, cancer_csv):
    """``check --registry mlflow:URI``: the URI is not mangled as a path, the run's model is used in a
    store holding another one, the champion is read back on the next run, history goes beside --out."""
    pytest.importorskip("mlflow")
    import json

    from gapgates.demo import DEMO_POLICY_PATH

    uri = f"mlflow:{sqlite_uri(tmp_path)}"
    open_registry(uri).register(LogisticRegression().fit(X, Y), name="other", metadata=META)
    args = ["check", "--data", str(cancer_csv), "--target", "target", "--model",
            "gapgates.demo.scaled_logistic_regression", "--policy", str(DEMO_POLICY_PATH), "--name", "logreg",
            "--registry", uri, "--promote", "--out", str(tmp_path / "out")]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["registry"] == {"version": "1", "promoted": True, "production": "1"}
    assert report["champion"]["version"] is None  # no production model of 'logreg' yet ('other' is not it)
    assert "first candidate" in report["champion"]["reason"]

    second = run_cli(*args)
    assert second.returncode in (0, 1), second.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["registry"]["version"] == "2"
    assert report["champion"]["version"] == "1" and report["champion"]["test_mean"] > 0.9  # read back and scored
    logreg = open_registry(uri, model_name="logreg")
    assert [v.version for v in logreg.versions()] == ["1", "2"]
    assert open_registry(uri, model_name="other").production is None  # the other model is untouched
    assert (tmp_path / "history.sqlite").is_file()
