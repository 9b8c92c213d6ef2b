"""The data-quality gate's pure parts: the built-in expectations as plain JSON, the quality rule in the decision.

Validation with real Great Expectations is in tests/integration/test_quality.py.
"""

from __future__ import annotations

import json

from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import evaluate
from gapgates.quality.expectations import builtin_expectations


def test_builtin_expectations_are_plain_gx_json():
    exps = builtin_expectations(["a", "y"], target="y", labels=[0, 1], min_rows=5, max_null_fraction=0.25)
    json.dumps(exps)
    rules = [e["meta"].get("gapgates_rule") for e in exps]
    assert rules.count("column_present") == 2 and "target_labels" in rules
    null_limit = next(e for e in exps if e["meta"].get("gapgates_rule") == "max_null_fraction")
    assert null_limit["kwargs"] == {"column": "a", "mostly": 0.75}


def test_quality_rule_in_decision_rules():
    from gapgates.quality.result import ExpectationOutcome, QualityResult

    bad = QualityResult(results=(ExpectationOutcome("expect_column_to_exist", "x", False, True, None),), rows={"data": 3})
    decision = evaluate(Policy(), Evidence(quality=bad))
    assert "quality:expect_column_to_exist:x" in [c.name for c in decision.failed]
    warn_only = evaluate(Policy(quality={"required": False}), Evidence(quality=bad))
    assert "quality:expect_column_to_exist:x" in [c.name for c in warn_only.warnings]
    assert "quality" in [c.name for c in evaluate(Policy(), Evidence(errors={"quality": "boom"})).failed]


def test_messages_show_plain_numbers_not_numpy_reprs():
    import numpy as np

    from gapgates.quality.result import ExpectationOutcome

    result = ExpectationOutcome(
        expectation="expect_column_values_to_be_between",
        column="income",
        success=False,
        critical=True,
        observed=np.float64(1964.6611111),
        details={"expected": {"min_value": np.float64(0.0), "max_value": np.float64(1500.25)}, "examples": [np.int64(9)]},
    )
    message = result.message
    assert "np.float64" not in message and "np.int64" not in message
    assert "min_value=0.0, max_value=1500.25" in message and "observed 1964.661111." in message, message
