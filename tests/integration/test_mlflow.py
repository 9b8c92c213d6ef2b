"""The same registry behaviour on LocalRegistry and on MlflowRegistry against a real local MLflow store.

MLflow runs on a sqlite backend in ``tmp_path`` (no server). Crash and
concurrency tests are LocalRegistry-only (tests/e2e/test_registry.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from gapgates.enforcement import enforce
from gapgates.errors import IntegrityError, PromotionBlocked, RegistryError
from gapgates.judge.checks import Outcome
from gapgates.registry import LocalRegistry, open_registry
from tests.helpers import PERMISSIVE, STRICT, gate_run, sqlite_uri, write_noisy

X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]
META = {
    "decision": "promote",
    "policy_hash": "ph1",
    "data_fingerprint": "fp1",
    "gap": {"accuracy": {"gap_mean": 0.02, "test_mean": 0.9}},
}


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
        (versions[2], versions[1]),
        (versions[1], versions[0]),
        (versions[0], versions[2]),
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
    assert float(mv.tags["gapgates.gap.accuracy.gap_mean"]) == pytest.approx(runs[0].evidence.gap.primary.gap_mean, abs=1e-5)
    assert mv.tags["gapgates.policy_hash"] == runs[0].policy_hash
    assert not list(Path.cwd().glob("mlruns"))  # artifacts live next to the store, not in the working directory
    assert (Path(mlflow_store.removeprefix("sqlite:///")).parent / "mlartifacts").is_dir()
