"""The whole gate in one process (``gapgates.gate.run_gate``, what ``gapgates check`` runs).

Promotion is the last act: a failure at any step after the decision leaves production where
it was, and what was published says so; what is published before the switch says ``pending``, and
a production that moved after the champion comparison refuses the switch. A rule is added through
the registry alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gapgates.cli import cli
from gapgates.config import make_config
from gapgates.demo import DEMO_POLICY_PATH
from gapgates.gate import COMMIT_STEPS, GATE_STEPS, run_gate
from gapgates.history import History
from gapgates.judge.checks import Status
from gapgates.judge.policy import Policy, PolicySection, Rule, RuleField
from gapgates.judge.rules import REGISTRY, Measured, RuleSpec, register, unregister
from gapgates.pipeline.definition import JUDGE_STEPS, RunState
from gapgates.registry import LocalRegistry
from gapgates.report.schema import validate_report

LOGREG = "gapgates.demo.scaled_logistic_regression"


def _config(data: Path, tmp_path: Path, **extra):
    return make_config(
        {
            "data": data,
            "target": "target",
            "model": LOGREG,
            "name": "logreg",
            "policy": DEMO_POLICY_PATH,
            "out": tmp_path / "out",
            "registry": tmp_path / "registry",
            "promote": True,
            **extra,
        }
    )


def test_the_steps_read_only_what_earlier_steps_wrote():
    written = {"config", "policy"}
    for step in (*GATE_STEPS, *COMMIT_STEPS):
        missing = set(step.reads) - written
        assert not missing, f"step {step.name} reads {missing} before any step writes them"
        written.add(step.writes)
    assert [s.name for s in JUDGE_STEPS][-1] == "decide"
    assert [s.name for s in COMMIT_STEPS] == ["stage", "publish", "commit", "record"]
    assert {f for f in RunState.__dataclass_fields__} >= {s.writes for s in JUDGE_STEPS}


def test_promote_then_compare_with_production(cancer_csv, tmp_path):
    first = run_gate(_config(cancer_csv, tmp_path))
    assert first.passed and first.committed is not None and first.committed.promoted
    reg = LocalRegistry(tmp_path / "registry")
    assert reg.production == "v1"
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    validate_report(report)
    assert _registry(report) == ("v1", True, "v1", None, "promoted")
    assert report["registry"]["location"] == str((tmp_path / "registry").absolute())
    [row] = History(tmp_path / "registry" / "history.sqlite").runs()
    assert (row.version, row.decision, row.outcome, row.registry) == ("v1", "promote", "promoted", report["registry"]["location"])
    second = run_gate(_config(cancer_csv, tmp_path))
    champion = {c.name: c for c in second.result.decision.checks}["champion_regression"]
    assert champion.status is Status.PASS and "production v1" in champion.message
    assert reg.production == "v2"


def _registry(report: dict) -> tuple:
    r = report["registry"]
    return r["version"], r["promoted"], r["production"], r["previous"], r["outcome"]


class _Boom(RuntimeError):
    pass


def _fail(*args, **kwargs):
    raise _Boom("injected failure")


@pytest.mark.parametrize("where", ["register", "write_reports", "history", "notify", "promote"])
def test_a_failure_after_the_decision_leaves_production_unchanged(cancer_csv, tmp_path, monkeypatch, where):
    run_gate(_config(cancer_csv, tmp_path))  # v1 is production
    reg = LocalRegistry(tmp_path / "registry")
    before_audit = len(reg.audit())
    targets = {
        "register": ("gapgates.registry.local.LocalRegistry.register", _fail),
        "write_reports": ("gapgates.report.build.write_reports", _fail),
        "history": ("gapgates.history.History.add", _fail),
        "notify": ("gapgates.notify.notify", _fail),
        "promote": ("gapgates.registry.local.LocalRegistry.promote", _fail),
    }
    monkeypatch.setattr(*targets[where])
    if where == "notify":  # sent after the switch: its failure is logged, the run is what happened
        published = run_gate(_config(cancer_csv, tmp_path)).published
        sent = published.notification if published is not None else None
        assert sent is not None and not sent.sent and "injected failure" in sent.detail
    else:
        with pytest.raises(_Boom):
            run_gate(_config(cancer_csv, tmp_path))
    monkeypatch.undo()
    reg = LocalRegistry(tmp_path / "registry")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    rows = History(tmp_path / "registry" / "history.sqlite").runs()
    new = [(e.action, e.version) for e in reg.audit()[before_audit:]]
    if where == "notify":  # the webhook goes out after the switch: production moved, and everything says so
        assert reg.production == "v2" and new == [("promote", "v2")]
        assert _registry(report) == ("v2", True, "v2", "v1", "promoted") and rows[-1].outcome == "promoted"
        return
    assert reg.production == "v1"
    if where == "register":
        assert new == []  # nothing was registered
    else:
        assert new == [("withdraw", "v2")]  # staged, never promoted
    if where in {"history", "promote"}:  # the reports were written as pending, then withdrawn
        assert _registry(report) == ("v2", False, "v1", "v1", "withdrawn")
        assert "not switched to v2" in report["errors"]["promotion"]
        validate_report(report)
    else:  # the first run's report is untouched
        assert report["registry"]["version"] == "v1"
    if where == "promote":  # the history row written before the switch is settled: never promoted
        assert (rows[-1].version, rows[-1].outcome, rows[-1].promoted) == ("v2", "withdrawn", False)
    else:
        assert [r.version for r in rows] == ["v1"]


def test_what_is_published_before_the_switch_says_pending_and_the_webhook_tells_the_outcome(cancer_csv, tmp_path, monkeypatch):
    import gapgates.notify

    run_gate(_config(cancer_csv, tmp_path))  # v1 is production
    seen: dict = {}
    promote, notify = LocalRegistry.promote, gapgates.notify.notify

    def spying_promote(self, version, **kwargs):
        seen["report"] = json.loads((tmp_path / "out" / "report.json").read_text())
        seen["markdown"] = (tmp_path / "out" / "report.md").read_text()
        seen["row"] = History(tmp_path / "registry" / "history.sqlite").runs()[-1]
        seen["expected"] = kwargs.get("expected")
        return promote(self, version, **kwargs)

    def spying_notify(decision, markdown, policy, **kwargs):
        seen["notified"] = (decision, LocalRegistry(tmp_path / "registry").production, markdown)
        return notify(decision, markdown, policy, **kwargs)

    monkeypatch.setattr(LocalRegistry, "promote", spying_promote)
    monkeypatch.setattr(gapgates.notify, "notify", spying_notify)
    state = run_gate(_config(cancer_csv, tmp_path))
    assert state.passed and state.committed.outcome == "promoted"
    # at the switch: the reports and the history row say pending, never promoted
    assert _registry(seen["report"]) == ("v2", False, "v1", "v1", "pending")
    assert "promotion to production pending" in seen["markdown"] and "promoted to production" not in seen["markdown"]
    assert (seen["row"].outcome, seen["row"].promoted) == ("pending", False)
    assert seen["expected"] == "v1"  # the switch replaces only the champion the run scored
    # after it: the outcome, and the webhook (its text too) once production moved
    assert _registry(json.loads((tmp_path / "out" / "report.json").read_text())) == ("v2", True, "v2", "v1", "promoted")
    assert History(tmp_path / "registry" / "history.sqlite").runs()[-1].outcome == "promoted"
    decision, production, markdown = seen["notified"]
    assert (decision, production) == ("promote", "v2") and "promoted to production, replacing v1" in markdown


def test_a_production_that_moved_after_the_comparison_refuses_the_switch(cancer_csv, tmp_path):
    from sklearn.dummy import DummyClassifier

    run_gate(_config(cancer_csv, tmp_path))  # v1 is production, the champion the next run scores
    reg = LocalRegistry(tmp_path / "registry")

    def call(step, *args):
        value = step.fn(*args)
        if step.name == "publish":  # the run compared with v1 and published; another promoter moves production
            other = reg.register(DummyClassifier().fit([[0.0], [1.0]], [0, 1]), name="logreg", metadata={"decision": "promote"})
            reg.promote(other, actor="someone else")
        return value

    state = run_gate(_config(cancer_csv, tmp_path), call=call)
    assert not state.passed and state.committed.outcome == "refused"
    assert reg.production == "v3"  # the other promoter's version stays: never replaced by one not compared with it
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    validate_report(report)
    assert _registry(report) == ("v2", False, "v3", "v1", "refused")
    assert report["decision"] == "block" and report["checks"][0]["name"] == "production_moved"
    assert (
        "Production moved from v1 to v3" in report["reasons"][0]
        and "Production moved from v1 to v3" in report["registry"]["reason"]
    )
    assert "not promoted: Production moved from v1 to v3" in (tmp_path / "out" / "report.md").read_text()
    row = History(tmp_path / "registry" / "history.sqlite").runs()[-1]
    assert (row.version, row.decision, row.outcome, row.promoted) == ("v2", "block", "refused", False)
    last = reg.audit()[-1]
    assert (last.action, last.version) == ("block", "v2") and "Production moved from v1 to v3" in last.reasons[0]
    assert "v2" not in [e.version for e in reg.audit() if e.action == "promote"]


def test_the_cli_exits_with_one_line_and_production_unchanged_when_publishing_fails(cancer_csv, tmp_path, monkeypatch):
    from gapgates.errors import ConfigError

    run_gate(_config(cancer_csv, tmp_path))

    def full_disk(self, record):  # recording the run fails after the candidate was staged
        raise ConfigError(f"The history database '{self.path}' cannot be written: disk full.")

    monkeypatch.setattr(History, "add", full_disk)
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--data",
            str(cancer_csv),
            "--target",
            "target",
            "--model",
            LOGREG,
            "--name",
            "logreg",
            "--policy",
            str(DEMO_POLICY_PATH),
            "--registry",
            str(tmp_path / "registry"),
            "--promote",
            "--history",
            str(tmp_path / "history.sqlite"),
            "--out",
            str(tmp_path / "out2"),
        ],
    )
    assert result.exit_code == 2 and "disk full" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    reg = LocalRegistry(tmp_path / "registry")
    assert reg.production == "v1" and [e.action for e in reg.audit()][-1] == "withdraw"


class ToySection(PolicySection):
    """``[toy]``: a limit on the share of training rows among all rows (the one policy field)."""

    max_train_share: RuleField = Rule(limit=0.5)


class ToyPolicy(Policy):
    toy: ToySection = ToySection()


def train_share(prep, gap_result) -> float:
    """The compute function: share of the data's rows used for training."""
    total = prep.train.rows + (prep.holdout.rows if prep.holdout is not None else 0)
    return prep.train.rows / total


@pytest.fixture
def toy_rule():
    spec = register(
        RuleSpec(
            name="toy_train_share",
            evidence="train_share",
            limit="toy.max_train_share",
            compute=train_share,
            measure=lambda value, evidence, policy: [Measured("toy_train_share", value, "Share of rows used to train")],
        )
    )
    yield spec
    unregister(spec.name)
    assert "toy_train_share" not in REGISTRY


@pytest.mark.parametrize(("limit", "status"), [(0.9, Status.PASS), (0.5, Status.FAIL)])
def test_a_toy_rule_is_added_through_the_registry_alone(cancer_csv, tmp_path, toy_rule, limit, status):
    config = make_config(
        {"data": cancer_csv, "target": "target", "model": LOGREG, "holdout_fraction": 0.25, "out": tmp_path / "out"}
    )
    policy = ToyPolicy(toy=ToySection(max_train_share=Rule(limit=limit)))
    state = run_gate(config, policy=policy)
    check = {c.name: c for c in state.result.decision.checks}["toy_train_share"]
    assert check.status is status and check.value == pytest.approx(0.75, abs=0.01)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    validate_report(report)
    assert report["measured"]["train_share"] == pytest.approx(0.75, abs=0.01)
    assert "toy_train_share" in (tmp_path / "out" / "report.md").read_text()  # rendered generically
