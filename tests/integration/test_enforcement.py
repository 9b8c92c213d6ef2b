"""enforce(): register the candidate, switch production only on promote, audit every outcome."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gapgates.enforcement import Enforcement, enforce
from gapgates.errors import ConfigError, PromotionBlocked, RegistryError
from gapgates.judge.checks import Outcome
from gapgates.registry import LocalRegistry
from tests.helpers import PERMISSIVE, STRICT, gate_run, write_noisy


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    data = write_noisy(root / "noisy.csv")
    approval = {**STRICT, "decision": {"on_fail": "needs_approval"}}
    out = {
        name: gate_run(data, root / "scratch", pol)
        for name, pol in (("promote", PERMISSIVE), ("block", STRICT), ("approval", approval))
    }
    assert [r.decision.outcome for r in out.values()] == [Outcome.PROMOTE, Outcome.BLOCK, Outcome.NEEDS_APPROVAL]
    return out


def _core(done: Enforcement) -> tuple:
    return done.version, done.promoted, done.production, done.previous, done.outcome


def test_passing_candidate_is_promoted_and_audited(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    result = runs["promote"]
    done = enforce(result, reg, promote=True, actor="ci")
    assert _core(done) == ("v1", True, "v1", None, "promoted")
    assert done.to_dict() == {
        "version": "v1",
        "promoted": True,
        "production": "v1",
        "previous": None,
        "outcome": "promoted",
        "reason": None,
        "location": str((tmp_path / "reg").absolute()),
        "alias": None,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.promoted = False
    entry = reg.audit()[0]
    assert (entry.action, entry.actor, entry.version) == ("promote", "ci", "v1")
    assert entry.policy_hash == result.policy_hash and entry.data_fingerprint == result.prepared.fingerprint
    meta = reg.info("v1").metadata
    assert meta["decision"] == "promote" and meta["primary_metric"] == "accuracy"
    assert meta["gap"]["accuracy"]["gap_mean"] == pytest.approx(result.evidence.gap.primary.gap_mean)
    stored = json.loads((tmp_path / "reg" / "versions" / "v1" / "report.json").read_text())
    assert stored["decision"] == "promote" and stored["policy_hash"] == result.policy_hash
    assert type(reg.load()).__name__ == "LogisticRegression"


def test_passing_candidate_without_promote_is_only_registered(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    done = enforce(runs["promote"], reg, promote=False)
    assert _core(done) == ("v1", False, None, None, "registered")
    assert [e.action for e in reg.audit()] == ["register"]


def test_blocked_and_needs_approval_never_switch(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    first = enforce(runs["promote"], reg, promote=True)
    blocked = enforce(runs["block"], reg, promote=True)
    waiting = enforce(runs["approval"], reg, promote=True)
    assert (blocked.promoted, waiting.promoted) == (False, False)
    assert reg.production == first.version == blocked.production == waiting.production
    entries = reg.audit()
    assert [e.action for e in entries] == ["promote", "block", "needs_approval"]
    assert entries[1].reasons == tuple(runs["block"].decision.reasons) and entries[1].reasons
    with pytest.raises(PromotionBlocked, match="needs_approval") as err:
        enforce(runs["approval"], reg, promote=True, raise_on_block=True)
    assert err.value.decision.outcome is Outcome.NEEDS_APPROVAL
    assert reg.production == first.version and len(reg.audit()) == 4  # audited before raising


def test_run_without_final_model_is_refused(tmp_path, runs):
    result = dataclasses.replace(runs["promote"], model=None)
    with pytest.raises(RegistryError, match="no final model to register"):
        enforce(result, LocalRegistry(tmp_path / "reg"), promote=True)
    assert not (tmp_path / "reg" / "versions").exists() or not any((tmp_path / "reg" / "versions").iterdir())


def test_failure_before_switch_keeps_production_and_marks_orphan(tmp_path, runs, monkeypatch):
    reg = LocalRegistry(tmp_path / "reg")
    first = enforce(runs["promote"], reg, promote=True)

    def crash(self, version, history):
        raise OSError("I/O error")

    monkeypatch.setattr(LocalRegistry, "_switch", crash)
    with pytest.raises(OSError, match="I/O error"):
        enforce(runs["promote"], reg, promote=True)
    monkeypatch.undo()
    assert reg.production == first.version
    assert [(v.version, v.status) for v in reg.versions()] == [("v1", "production"), ("v2", "orphan")]
    assert reg.verify() == []


def _audit(reg):
    return [(e.action, e.actor, e.version) for e in reg.audit()]


def test_approved_needs_approval_is_promoted_with_the_approver_audited(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    result = runs["approval"]
    done = enforce(result, reg, promote=True, raise_on_block=True, approved_by="alice", approval_reason="known shift")
    assert _core(done) == ("v1", True, "v1", None, "promoted") and reg.production == "v1"
    assert _audit(reg) == [("needs_approval", "gapgates", "v1"), ("approve", "alice", "v1"), ("promote", "alice", "v1")]
    entries = reg.audit()
    assert entries[0].reasons == tuple(result.decision.reasons) and entries[0].reasons
    assert entries[1].reasons == entries[2].reasons == ("known shift",)
    assert reg.info("v1").metadata["decision"] == "needs_approval" and reg.load() is not None
    stored = json.loads((tmp_path / "reg" / "versions" / "v1" / "report.json").read_text())
    assert stored["decision"] == "needs_approval"


def test_approved_without_promote_is_registered_not_switched(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    first = enforce(runs["promote"], reg, promote=True)
    done = enforce(runs["approval"], reg, promote=False, approved_by="bob")
    assert _core(done) == ("v2", False, first.version, first.version, "registered")
    assert reg.production == "v1"
    assert _audit(reg)[1:] == [("needs_approval", "gapgates", "v2"), ("approve", "bob", "v2")]
    assert reg.audit()[2].reasons == ("approved",)  # no reason given


def test_a_block_cannot_be_approved_and_the_registry_is_untouched(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    first = enforce(runs["promote"], reg, promote=True)
    for want in (True, False):
        with pytest.raises(PromotionBlocked, match=r"Promotion blocked \(block\)") as err:
            enforce(runs["block"], reg, promote=want, approved_by="mallory", approval_reason="ship it")
        assert err.value.decision.outcome is Outcome.BLOCK
    assert reg.production == first.version and _audit(reg) == [("promote", "gapgates", "v1")]
    assert [v.version for v in reg.versions()] == ["v1"]  # nothing registered


def test_approver_is_ignored_for_a_passing_decision(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    done = enforce(runs["promote"], reg, promote=True, approved_by="alice")
    assert done.promoted and _audit(reg) == [("promote", "gapgates", "v1")]


def _stored_report(tmp_path, version):
    return json.loads((tmp_path / "reg" / "versions" / version / "report.json").read_text())


@pytest.mark.parametrize("want", [True, False])
def test_rejected_needs_approval_is_registered_with_its_report_never_promoted(tmp_path, runs, want):
    reg = LocalRegistry(tmp_path / "reg")
    first = enforce(runs["promote"], reg, promote=True)
    result = runs["approval"]
    done = enforce(result, reg, promote=want, rejected_by="bob", approval_reason="too risky")
    assert _core(done) == ("v2", False, first.version, first.version, "blocked")
    assert reg.production == "v1"
    assert _audit(reg)[1:] == [("needs_approval", "gapgates", "v2"), ("reject", "bob", "v2")]
    entries = reg.audit()
    assert entries[1].reasons == tuple(result.decision.reasons) and entries[1].reasons
    assert entries[2].reasons == ("too risky",)
    assert reg.info("v2").metadata["decision"] == "needs_approval"
    stored = _stored_report(tmp_path, "v2")
    assert stored["decision"] == "needs_approval" and stored["policy_hash"] == result.policy_hash


def test_timed_out_approval_is_rejected_by_gapgates_with_the_timeout(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    done = enforce(runs["approval"], reg, promote=False, rejected_by="gapgates", approval_reason="nobody approved within 60 s")
    assert _core(done) == ("v1", False, None, None, "blocked")
    assert _audit(reg) == [("needs_approval", "gapgates", "v1"), ("reject", "gapgates", "v1")]
    assert reg.audit()[1].reasons == ("nobody approved within 60 s",)


def test_rejection_without_reason_and_raise_on_block(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    with pytest.raises(PromotionBlocked, match=r"Promotion blocked \(block\): Rejected by bob: rejected\.; ") as err:
        enforce(runs["approval"], reg, promote=True, raise_on_block=True, rejected_by="bob")
    assert err.value.decision.outcome is Outcome.BLOCK
    assert err.value.decision.reasons[1:] == runs["approval"].decision.reasons  # the gate's reasons follow
    assert _audit(reg) == [("needs_approval", "gapgates", "v1"), ("reject", "bob", "v1")]  # audited before raising
    assert reg.audit()[1].reasons == ("rejected",) and reg.production is None


def test_a_rejected_passing_candidate_is_not_promoted(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    first = enforce(runs["promote"], reg, promote=True)
    done = enforce(runs["promote"], reg, promote=True, rejected_by="carol", approval_reason="wrong release")
    assert _core(done) == ("v2", False, first.version, first.version, "blocked")
    assert reg.production == "v1"
    assert _audit(reg)[1:] == [("register", "gapgates", "v2"), ("reject", "carol", "v2")]
    assert reg.audit()[2].reasons == ("wrong release",) and _stored_report(tmp_path, "v2")["decision"] == "promote"
    with pytest.raises(PromotionBlocked, match=r"Promotion blocked \(block\): Rejected by carol: wrong release\.$"):
        enforce(runs["promote"], reg, promote=True, raise_on_block=True, rejected_by="carol", approval_reason="wrong release")
    assert reg.production == "v1"


def test_a_rejected_block_stays_a_block_and_records_the_rejecter(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    done = enforce(runs["block"], reg, promote=True, rejected_by="dave", approval_reason="agreed")
    assert _core(done) == ("v1", False, None, None, "blocked")
    assert _audit(reg) == [("block", "gapgates", "v1"), ("reject", "dave", "v1")]
    assert reg.audit()[0].reasons == tuple(runs["block"].decision.reasons)


def test_block_without_a_model_is_audited_not_registered(tmp_path, runs):
    reg = LocalRegistry(tmp_path / "reg")
    done = enforce(dataclasses.replace(runs["block"], model=None), reg, promote=True)
    assert _core(done) == (None, False, None, None, "blocked")
    assert _audit(reg) == [("block", "gapgates", None)] and reg.versions() == []


@pytest.mark.parametrize("name", ["approval", "block", "promote"])
def test_approved_and_rejected_at_once_is_refused_before_any_write(tmp_path, runs, name):
    reg = LocalRegistry(tmp_path / "reg")
    with pytest.raises(ConfigError, match=r"Give either 'approved_by' or 'rejected_by', not both\. Got approved_by='alice'"):
        enforce(runs[name], reg, promote=True, approved_by="alice", rejected_by="bob")
    assert reg.audit() == [] and reg.versions() == [] and reg.production is None


def test_a_commit_over_a_production_that_moved_is_refused_and_audited(tmp_path, runs):
    from gapgates.enforcement import commit, stage, withdraw

    reg = LocalRegistry(tmp_path / "reg")
    enforce(runs["promote"], reg, promote=True)  # v1
    staged = stage(runs["promote"], reg, promote=True)  # v2, compared with v1 (production when it was staged)
    assert _core(staged.planned) == ("v2", False, "v1", "v1", "pending")
    enforce(runs["promote"], reg, promote=True)  # v3 goes live meanwhile
    done = commit(staged)
    assert _core(done) == ("v2", False, "v3", "v1", "refused") and "Production moved from v1 to v3" in (done.reason or "")
    assert reg.production == "v3" and _audit(reg)[-1] == ("block", "gapgates", "v2")
    assert "Production moved from v1 to v3" in reg.audit()[-1].reasons[0]
    later = stage(runs["promote"], reg, promote=True)  # v4, compared with v3
    reg.promote(later.version)  # switched already (a step after the switch failed): nothing to withdraw
    withdraw(later)
    assert _audit(reg)[-1] == ("promote", "gapgates", "v4")
