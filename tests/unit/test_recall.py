"""The recall of every class (gapgates/measurements/recall.py, the worked example of a measurement in docs/contributing.md)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import parse_policy
from gapgates.judge.rules import evaluate
from gapgates.measurements import REGISTRY
from gapgates.measurements.recall import class_recall


def _checks(limit: float | None, found) -> dict:
    policy = parse_policy({} if limit is None else {"recall": {"min_per_class": limit}})
    return {c.name: c for c in evaluate(policy, Evidence(recall=found)).checks}


def test_recall_per_class_with_its_wilson_bound():
    y = np.array([0] * 80 + [1] * 20)
    pred = np.array([0] * 80 + [1] * 5 + [0] * 15)
    found = class_recall(y, pred, np.ones(100, bool))
    assert found.per_class["1"] == {"recall": 0.25, "low": pytest.approx(0.112, abs=0.002), "support": 20}
    assert found.per_class["0"]["recall"] == 1.0 and found.worst == "1"


def test_the_rule_on_both_sides_of_its_limit_and_off_by_default():
    found = class_recall(np.array([0, 0, 0, 1, 1]), np.array([0, 0, 0, 1, 0]), np.ones(5, bool))
    assert "recall:min_per_class" not in _checks(None, found)  # off unless the policy sets it
    fail = _checks(0.6, found)["recall:min_per_class"]
    assert fail.status is Status.FAIL and fail.value == 0.5 and "class '1'" in fail.message
    assert _checks(0.5, found)["recall:min_per_class"].status is Status.PASS
    skipped = _checks(0.5, None)["recall:min_per_class"]  # a regressor: nothing measured
    assert skipped.status is Status.SKIPPED and "classifiers only" in skipped.message


def test_its_advice_names_the_class():
    from gapgates.judge.diagnosis import rule_advice

    found = class_recall(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0]), np.ones(4, bool))
    policy = parse_policy({"recall": {"min_per_class": 0.5}})
    evidence = Evidence(recall=found)
    decision = evaluate(policy, evidence)
    check = next(c for c in decision.checks if c.name == "recall:min_per_class")
    assert "class '1'" in rule_advice(check, evidence, decision) and "class_weight" in rule_advice(check, evidence, decision)


def test_it_is_one_registered_measurement_with_its_own_policy_table():
    assert "recall" in REGISTRY and REGISTRY["recall"].policy is not None
    from gapgates.errors import PolicyError

    with pytest.raises(PolicyError, match=r"\[recall\] The 'min_per_class' limit must be a number between 0 and 1\. Got 1\.5"):
        parse_policy({"recall": {"min_per_class": 1.5}})


def test_a_policy_with_its_table_loads_in_a_process_that_imported_no_measurement(tmp_path):
    """The policy model adds the measurements' tables itself: `gapgates monitor` or `digest` load the same file."""
    policy = tmp_path / "p.toml"
    policy.write_text("[recall]\nmin_per_class = 0.4\n")
    code = (
        "import sys; from gapgates.judge.policy import load_policy\n"
        f"print(load_policy({str(policy)!r}).recall.min_per_class.limit)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "0.4", proc.stderr
