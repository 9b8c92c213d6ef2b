"""Settling a run recorded ``pending`` before its production switch, from the registry (gapgates.registry.outcomes)."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from gapgates.registry import LocalRegistry
from gapgates.registry.outcomes import settle_outcome, settle_report, settle_runs
from tests.helpers import run_record

X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]


def _registry(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    versions = [reg.register(LogisticRegression().fit(X, Y), name="m", metadata={}) for _ in range(3)]
    reg.promote(versions[0])
    reg.promote(versions[1])
    return reg


def test_a_pending_run_is_promoted_only_when_the_registry_shows_the_switch(tmp_path):
    reg = _registry(tmp_path)
    assert settle_outcome(reg.location, model="m", alias=None, version="v2") == "promoted"
    assert settle_outcome(reg.location, model="m", alias=None, version="v3") == "unfinished"  # never switched
    assert settle_outcome(str(tmp_path / "gone"), model="m", alias=None, version="v2") == "pending"  # cannot tell
    runs = [
        run_record(version="v2", outcome="pending", registry=reg.location),
        run_record(version="v3", outcome="pending", registry=reg.location),
        run_record(version="v3", outcome="refused", registry=reg.location, decision="block"),
        run_record(version=None),
    ]
    settled = settle_runs(runs)
    assert [r.outcome for r in settled] == ["promoted", "unfinished", "refused", None]
    assert [r.promoted for r in settled] == [True, False, False, True]


def test_a_pending_report_is_settled_and_any_other_left_as_it_is(tmp_path):
    reg = _registry(tmp_path)
    section = {"version": "v3", "promoted": False, "production": "v2", "previous": "v2", "outcome": "pending"}
    report = {"model": {"name": "m"}, "registry": {**section, "location": reg.location, "alias": None}}
    unfinished = settle_report(report)["registry"]
    assert (unfinished["outcome"], unfinished["promoted"], unfinished["production"]) == ("unfinished", False, "v2")
    assert unfinished["settled"] and report["registry"]["outcome"] == "pending"  # a copy: the input is unchanged
    reg.promote("v3")
    promoted = settle_report(report)["registry"]
    assert (promoted["outcome"], promoted["promoted"], promoted["production"]) == ("promoted", True, "v3")
    done = {"model": {"name": "m"}, "registry": {**section, "outcome": "promoted", "location": reg.location}}
    assert settle_report(done) is done and settle_report({"registry": None}) == {"registry": None}
    assert (
        settle_report({**report, "registry": {**report["registry"], "location": str(tmp_path / "gone")}})["registry"]["outcome"]
        == "pending"
    )  # a registry that cannot be read settles nothing
