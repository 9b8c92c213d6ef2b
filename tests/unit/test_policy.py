import pytest

from gapgates.errors import ConfigError, PolicyError
from gapgates.judge.checks import Outcome, Severity
from gapgates.judge.policy import DEFAULT_POLICY_PATH, Policy, Rule, load_policy, parse_policy, policy_hash

ISSUE_EXAMPLE = """
[gap]
metrics = ["accuracy"]
max_gap = 0.05
max_relative_gap = 0.10
gate_on = "upper"
confidence = 0.95
[performance]
min_test_score = 0.0
min_gain_over_baseline = 0.0
[noise]
max_rate = 0.05
[decision]
on_fail = "block"
"""


def test_shipped_default_policy_is_the_model_default():
    from gapgates.judge.policy import policy_model

    assert load_policy() == policy_model()()  # the model with the measurements' own sections ([recall]...)
    assert load_policy().model_dump(exclude={"recall"}) == Policy().model_dump()
    assert load_policy(DEFAULT_POLICY_PATH).gap.max_gap == Rule(limit=0.05)


def test_issue_example_loads_exactly(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(ISSUE_EXAMPLE)
    policy = load_policy(path)
    assert policy.gap.metrics == ["accuracy"]
    assert policy.gap.max_gap.limit == 0.05
    assert policy.gap.max_relative_gap.limit == 0.10
    assert policy.gap.gate_on == "upper"
    assert policy.performance.min_test_score.limit == 0.0
    assert policy.noise.max_rate.limit == 0.05
    assert policy.decision.fail_outcome is Outcome.BLOCK


def test_yaml_policy_with_per_rule_severity(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("gap:\n  max_gap: {limit: 0.1, severity: warn}\n  gate_on: mean\ndecision:\n  on_fail: needs_approval\n")
    policy = load_policy(path)
    assert policy.gap.severity_of(policy.gap.max_gap) is Severity.WARN
    assert policy.gap.gate_on == "mean"
    assert policy.decision.fail_outcome is Outcome.NEEDS_APPROVAL


def test_section_severity_is_the_default_for_its_rules():
    policy = parse_policy({"performance": {"severity": "warn", "min_test_score": 0.8}})
    assert policy.performance.severity_of(policy.performance.min_test_score) is Severity.WARN
    assert policy.gap.severity_of(policy.gap.max_gap) is Severity.BLOCK


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"gap": {"max_gap": -0.2}}, r"The 'max_gap' limit must be a number between 0 and 1\. Got -0\.2\."),
        ({"gap": {"max_gap": 1.5}}, r"between 0 and 1\. Got 1\.5"),
        ({"noise": {"max_rate": 2}}, r"'max_rate' limit must be a number between 0 and 1"),
        ({"shift": {"max_auc": -1}}, r"'max_auc' limit"),
        ({"gap": {"max_gapp": 0.1}}, r"unknown key 'gap\.max_gapp'\. Allowed keys here: .*max_gap"),
        ({"gapp": {}}, r"unknown key 'gapp'"),
        ({"gap": {"max_gap": "x"}}, r"'gap\.max_gap' must be a number or a table"),
        ({"gap": {"metrics": "accuracy"}}, r"'gap\.metrics' input should be a valid list"),
        ({"gap": {"gate_on": "median"}}, r"'gap\.gate_on' input should be 'mean' or 'upper'"),
        ({"gap": {"confidence": 1.5}}, r"confidence.*strictly between 0 and 1"),
        ({"decision": {"on_fail": "ignore"}}, r"'decision\.on_fail'"),
        ({"gap": {"max_gap": {"limit": 0.1, "severity": "loud"}}}, r"severity"),
        ([1, 2], r"a policy must be a table"),
    ],
)
def test_malformed_policies_are_one_line_policy_errors(data, match):
    with pytest.raises(PolicyError, match=match) as info:
        parse_policy(data, source="p.toml")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)


def test_neg_metrics_allow_gaps_above_one():
    policy = parse_policy({"gap": {"metrics": ["neg_mean_squared_error"], "max_gap": 4.0}})
    assert policy.gap.max_gap.limit == 4.0


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("bad.toml", "[gap\nmax_gap = ", r"is not valid TOML"),
        ("bad.yaml", "gap: [unclosed", r"is not valid YAML"),
    ],
)
def test_unparseable_files(tmp_path, name, text, match):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PolicyError, match=match):
        load_policy(path)


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError, match=r"does not exist"):
        load_policy(tmp_path / "nope.toml")


def test_policy_hash_changes_with_any_limit():
    from gapgates.judge.policy import policy_model

    default = policy_model()()
    assert policy_hash(default) == policy_hash(load_policy())
    assert policy_hash(default) != policy_hash(parse_policy({"gap": {"max_gap": 0.06}}))
    assert policy_hash(default) != policy_hash(parse_policy({"recall": {"min_per_class": 0.5}}))  # a measurement's table


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1/hook", r"must be a valid http\(s\) URL \(Invalid IPv6 URL\)"),
        ("http://hooks.example.invalid:99999/x", r"must be a valid http\(s\) URL \(Port out of range 0-65535\)"),
        ("https://", r"must name a host"),
        ("ftp://hooks.example.invalid/x", r"must start with http:// or https://"),
    ],
)
def test_a_webhook_url_that_cannot_be_parsed_is_refused_when_the_policy_loads(url, message):
    """Refused now (exit 2), not at the end of a run as an internal error (exit 3)."""
    with pytest.raises(PolicyError, match=r"\[notify\] The 'webhook_url' " + message):
        parse_policy({"notify": {"webhook_url": url}})
    assert parse_policy({"notify": {"webhook_url": "http://[::1]:8080/hook"}}).notify.webhook_url.endswith("/hook")
