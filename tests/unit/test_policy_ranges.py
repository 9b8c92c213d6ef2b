"""Every number of the policy declares its range once, on its field; the declarations are what is enforced.

The fields are found by walking the model, and the values tried are read from the declarations, so a new
field without a range, or a declaration the validators do not enforce, fails here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from gapgates.errors import PolicyError
from gapgates.judge.policy import (
    MAX_REPEATS,
    Between,
    Fraction,
    Policy,
    PolicySection,
    Rule,
    RuleField,
    parse_policy,
    policy_model,
    policy_ranges,
)

PYDANTIC_CONSTRAINTS = ("ge", "gt", "le", "lt")


def numeric_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    """``(dotted key, field)`` of every number and rule (``RuleField``) of a policy model, nested tables included."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if get_origin(annotation) is dict:  # [gap.per_metric.<name>]
            yield from numeric_fields(get_args(annotation)[1], f"{prefix}{name}.<name>.")
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from numeric_fields(annotation, f"{prefix}{name}.")
        elif annotation in (int, float) or Rule in get_args(annotation):
            yield f"{prefix}{name}", info


FIELDS = dict(numeric_fields(policy_model(Policy)))  # with the measurements' own sections ([recall]...)
RANGES = policy_ranges()


def test_every_number_of_every_section_declares_a_range():
    assert len(FIELDS) > 30  # the walk reaches every section (and [gap.per_metric.<name>])
    assert sorted(FIELDS) == sorted(RANGES)


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_each_range_is_declared_once(key):
    metadata = FIELDS[key].metadata
    markers = [item for item in metadata if isinstance(item, Between)]
    constraints = [item for item in metadata if any(hasattr(item, name) for name in PYDANTIC_CONSTRAINTS)]
    assert (len(markers), len(constraints)) in {(1, 0), (0, 1), (0, 2)}, f"{key}: {metadata}"


def test_a_new_field_without_a_range_is_found():
    class Bare(PolicySection):
        declared: Fraction = None
        undeclared: RuleField = None
        count: int = 3

    class Extended(Policy):
        bare: Bare = Bare()

    missing = sorted(set(dict(numeric_fields(Extended))) - set(policy_ranges(Extended)))
    assert [key for key in missing if key.startswith("bare.")] == ["bare.count", "bare.undeclared"]
    assert policy_ranges(Extended)["bare.declared"] == Between(0, 1)


def policy_with(key: str, value: Any, *, metric: str = "accuracy") -> dict[str, Any]:
    """The policy mapping that sets ``key`` (``gap.per_metric.<name>.max_gap``: of ``metric``) to ``value``."""
    *tables, leaf = key.replace("<name>", metric).split(".")
    data: dict[str, Any] = {leaf: value}
    for table in reversed(tables):
        data = {table: data}
    return data


def tried(between: Between, *, integer: bool) -> Iterator[tuple[float, bool]]:
    """``(value, accepted)``: a value inside; each finite bound and just past it; infinity past an unbounded end."""
    low, high = between.low, between.high
    finite = math.isfinite(low), math.isfinite(high)
    yield {(True, True): (low + high) / 2, (True, False): low + 1, (False, True): high - 1}.get(finite, 0.0), True
    for bound, inclusive, outward in ((low, between.low_inclusive, -1), (high, between.high_inclusive, 1)):
        if math.isfinite(bound):
            yield bound, inclusive
            yield bound + outward * (1 if integer else 1e-6 * max(1.0, abs(bound))), False
        elif not integer:
            yield outward * math.inf, False


@pytest.mark.parametrize(("key", "between"), RANGES.items(), ids=list(RANGES))
def test_both_sides_of_each_declared_range(key, between):
    integer = FIELDS[key].annotation is int
    is_rule = Rule in get_args(FIELDS[key].annotation)
    for value, accepted in tried(between, integer=integer):
        typed = int(value) if integer else float(value)
        for given in [typed, {"limit": typed, "severity": "warn"}] if is_rule else [typed]:  # a number or a table
            if accepted:
                parse_policy(policy_with(key, given))
                continue
            with pytest.raises(PolicyError, match=rf"'(\S+\.)?{key.rsplit('.', 1)[-1]}'.* Got ") as info:
                parse_policy(policy_with(key, given), source="p.toml")
            assert "\n" not in str(info.value)


@pytest.mark.parametrize("key", [key for key, between in RANGES.items() if between.unbounded_for_neg_metrics])
def test_a_neg_metric_lifts_the_upper_bound_only(key):
    def of_neg_metric(value: float) -> dict[str, Any]:
        data = policy_with(key, value, metric="neg_log_loss")
        if "<name>" not in key:  # [gap] max_gap: unbounded when a listed metric is a neg_* one
            data[key.split(".")[0]]["metrics"] = ["accuracy", "neg_log_loss"]
        return data

    assert key in {"gap.max_gap", "gap.per_metric.<name>.max_gap"}
    parse_policy(of_neg_metric(RANGES[key].high + 3.5))
    with pytest.raises(PolicyError, match=r"must be a number between 0 and infinity\. Got -0\.5\."):
        parse_policy(of_neg_metric(-0.5))
    with pytest.raises(PolicyError, match=r"must be a number between 0 and 1\. Got 4\.5\."):
        parse_policy(policy_with(key, RANGES[key].high + 3.5))


def test_policy_ranges_reads_the_declarations():
    assert RANGES["gap.max_gap"] == Between(0, 1, unbounded_for_neg_metrics=True)
    assert RANGES["gap.per_metric.<name>.max_gap"] == RANGES["gap.max_gap"]
    assert RANGES["gap.max_repeats"] == Between(0, MAX_REPEATS)
    assert RANGES["noise.max_rate"] == Between(0, 1)
    assert RANGES["performance.min_gain_over_baseline"] == Between(-1, 1)
    assert RANGES["performance.min_test_score"] == Between(-math.inf, math.inf)
    assert RANGES["monitor.drift_alpha"] == Between(0, 1, low_inclusive=False, high_inclusive=False)
    assert RANGES["trend.window"] == Between(2)  # pydantic's Field(ge=2), read the same way
    assert RANGES["notify.timeout"] == Between(0, 300, low_inclusive=False)
    assert list(RANGES)[:3] == ["gap.max_gap", "gap.max_relative_gap", "gap.confidence"]  # declaration order


@pytest.mark.parametrize(
    ("key", "integer", "words"),
    [
        ("gap.max_gap", False, "a number between 0 and 1"),
        ("gap.max_relative_gap", False, "a number between 0 and infinity"),
        ("performance.min_test_score", False, "a number between minus infinity and infinity"),
        ("gap.confidence", False, "a number strictly between 0 and 1"),
        ("gap.max_repeats", True, "an integer between 0 and 20"),
        ("monitor.min_rows", True, "an integer of at least 1"),
        ("notify.timeout", False, "a number greater than 0 and at most 300"),
        ("decision.approval_timeout", True, "an integer greater than 0"),
    ],
)
def test_a_range_in_words(key, integer, words):
    assert (FIELDS[key].annotation is int) == integer
    assert RANGES[key].describe(integer=integer) == words
