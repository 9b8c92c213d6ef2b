"""The data-quality gate, run with real Great Expectations 1.x (no mocks), alone and inside run_check."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gapgates.config import make_config
from gapgates.errors import ConfigError, DataError
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.policy import Policy
from gapgates.measurements.quality import quality_checks
from gapgates.pipeline.definition import run_check
from gapgates.quality.gate import builtin_suite, check_quality, profile_suite
from gapgates.quality.gx import load_suite, save_suite, validate_frame


def frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x0": rng.normal(size=n),
            "x1": rng.integers(0, 10, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "label": rng.integers(0, 2, n),
        }
    )


def section(**quality):
    return Policy(quality=quality).quality


def failed(result, *, required=True):
    return {c.name: c for c in quality_checks(result, required=required) if c.status is not Status.PASS}


def test_clean_data_passes_with_one_summary_check():
    result = check_quality(frame(), target="label", section=section(labels=[0, 1]), holdout=frame(seed=1))
    assert result.success and not result.critical
    checks = quality_checks(result, required=True)
    assert [(c.name, c.status) for c in checks] == [("quality", Status.PASS)]
    assert result.rows == {"data": 60, "holdout": 60}


def test_null_target_fails_naming_expectation_and_column():
    df = frame()
    df.loc[[2, 5], "label"] = np.nan
    result = check_quality(df, target="label", section=section())
    checks = failed(result)
    name = "quality:expect_column_values_to_not_be_null:label:target_not_null"
    assert checks[name].status is Status.FAIL
    assert "2 of 60 values unexpected" in checks[name].message and "'label'" in checks[name].message
    assert result.critical


def test_unseen_label_fails_against_declared_labels():
    df = frame()
    df.loc[0, "label"] = 7
    checks = failed(check_quality(df, target="label", section=section(labels=[0, 1])))
    check = checks["quality:expect_column_values_to_be_in_set:label"]
    assert check.status is Status.FAIL and "7" in check.message
    assert not failed(check_quality(df, target="label", section=section(labels=[0, 1, 7])))


def test_holdout_label_unseen_in_data_fails():
    hold = frame(seed=1)
    hold.loc[0, "label"] = 9
    result = check_quality(frame(), target="label", section=section(), holdout=hold)
    assert "quality:holdout:expect_column_values_to_be_in_set:label" in failed(result)
    regression = check_quality(frame(), target="label", section=section(), holdout=hold, classification=False)
    assert regression.success  # a regression target has no label set


def test_holdout_missing_column_fails_once_per_column():
    result = check_quality(frame(), target="label", section=section(), holdout=frame(seed=1).drop(columns="x1"))
    checks = failed(result)
    assert checks["quality:holdout:expect_column_to_exist:x1"].status is Status.FAIL
    assert "not in the table" in checks["quality:holdout:expect_column_to_exist:x1"].message
    assert "quality:holdout:expect_table_columns_to_match_set" in checks
    assert not any(n.endswith("x1:not_all_null") for n in checks)  # folded into the one check


def test_too_small_table_fails_on_both_sides_of_min_rows():
    too_small = failed(check_quality(frame(20), target="label", section=section(min_rows=21)))
    check = too_small["quality:expect_table_row_count_to_be_between"]
    assert check.status is Status.FAIL and check.value == 20 and "at least 21 rows" in check.message
    assert check_quality(frame(20), target="label", section=section(min_rows=20)).success


def test_empty_table_fails():
    result = check_quality(frame().iloc[:0], target="label", section=section())
    assert "quality:expect_table_row_count_to_be_between" in failed(result)
    no_columns = check_quality(pd.DataFrame(), target="label", section=section())
    assert "quality:expect_column_to_exist:label" in failed(no_columns)


def test_null_fraction_limit_both_sides_and_warn_severity():
    df = frame(100)
    df.loc[:29, "x0"] = np.nan  # 30 % nulls
    name = "quality:expect_column_values_to_not_be_null:x0:max_null_fraction"
    assert check_quality(df, target="label", section=section(max_null_fraction=0.3)).success
    strict = failed(check_quality(df, target="label", section=section(max_null_fraction=0.29)))
    assert strict[name].status is Status.FAIL
    warn = check_quality(df, target="label", section=section(max_null_fraction={"limit": 0.29, "severity": "warn"}))
    assert failed(warn)[name].status is Status.WARN and not warn.critical


def test_entirely_null_column_fails_even_when_nulls_only_warn():
    df = frame().assign(x1=np.nan)
    result = check_quality(df, target="label", section=section(max_null_fraction={"limit": 0.5, "severity": "warn"}))
    checks = failed(result)
    assert checks["quality:expect_column_values_to_not_be_null:x1:not_all_null"].status is Status.FAIL
    assert checks["quality:expect_column_values_to_not_be_null:x1:max_null_fraction"].status is Status.WARN


def test_not_required_turns_failures_into_warnings():
    df = frame()
    df.loc[0, "label"] = np.nan
    checks = failed(check_quality(df, target="label", section=section()), required=False)
    assert {c.status for c in checks.values()} == {Status.WARN}


def test_profile_round_trips_and_loads_as_gx_suite(tmp_path):
    import great_expectations as gx

    path = tmp_path / "accepted.json"
    suite = profile_suite(frame(), path, target="label")
    data = json.loads(path.read_text())
    assert isinstance(gx.ExpectationSuite(**data), gx.ExpectationSuite)  # GX's own loader accepts it
    loaded = load_suite(path)
    assert loaded == suite and len(loaded.expectations) == len(suite.expectations)
    save_suite(loaded, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["expectations"] == data["expectations"]
    kinds = {e["type"] for e in data["expectations"]}
    assert {
        "expect_table_row_count_to_be_between",
        "expect_table_columns_to_match_set",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_null",
    } <= kinds


def test_profiled_suite_passes_reference_and_catches_out_of_range(tmp_path):
    path = tmp_path / "accepted.json"
    profile_suite(frame(), path, target="label")
    assert check_quality(frame(), target="label", section=section(), suite_path=path).success
    shifted = frame(seed=1)
    shifted.loc[3, "x0"] = 1e6
    shifted.loc[4, "colour"] = "purple"
    checks = failed(check_quality(shifted, target="label", section=section(), suite_path=path))
    assert "1000000.0" in checks["quality:expect_column_values_to_be_between:x0"].message
    assert checks["quality:expect_column_values_to_be_in_set:colour"].status is Status.FAIL


def test_profiled_type_check_catches_text_in_numeric_column(tmp_path):
    path = tmp_path / "accepted.json"
    profile_suite(frame(), path, target="label")
    bad = frame().assign(x1=lambda d: d["x1"].astype(str))
    checks = failed(check_quality(bad, target="label", section=section(), suite_path=path))
    assert "quality:expect_column_values_to_be_in_type_list:x1" in checks


def test_user_suite_warning_severity_only_warns(tmp_path):
    path = tmp_path / "user.json"
    path.write_text(
        json.dumps(
            {
                "name": "mine",
                "expectations": [
                    {
                        "type": "expect_column_max_to_be_between",
                        "kwargs": {"column": "x1", "max_value": 5},
                        "severity": "warning",
                    },
                    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "x1"}},
                ],
            }
        )
    )
    result = check_quality(frame(), target="label", section=section(), suite_path=path)
    checks = failed(result)
    assert checks["quality:expect_column_max_to_be_between:x1"].status is Status.WARN
    assert checks["quality:expect_column_values_to_be_unique:x1"].status is Status.FAIL
    assert "mine" in result.suites


def test_holdout_skips_profiled_row_count(tmp_path):
    path = tmp_path / "accepted.json"
    profile_suite(frame(200), path, target="label")
    result = check_quality(frame(200), target="label", section=section(), holdout=frame(40, seed=1), suite_path=path)
    assert result.success, [c.message for c in quality_checks(result, required=True)]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ('{"name": "x"}', "needs an 'expectations' list"),
        ('{"name": "x", "expectations": [{"type": "expect_nothing_real", "kwargs": {}}]}', "expect_nothing_real"),
    ],
)
def test_bad_suite_files_are_config_errors(tmp_path, content, match):
    path = tmp_path / "suite.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        load_suite(path)


def test_result_to_dict_is_json_with_details():
    df = frame()
    df.loc[[1, 2], "label"] = np.nan
    report = check_quality(df, target="label", section=section()).to_dict()
    json.dumps(report)
    assert report["success"] is False and report["critical"] is True
    bad = next(r for r in report["results"] if not r["success"])
    assert bad["expectation"] == "expect_column_values_to_not_be_null" and bad["column"] == "label"
    assert bad["details"]["unexpected_count"] == 2 and bad["details"]["examples"] == [None, None]


def test_text_columns_of_pandas_string_dtype_validate():
    df = frame().astype({"colour": "string"})
    result = validate_frame(df, builtin_suite(section(), list(df.columns), target="label", labels=["a"]))
    assert result.success is False  # the in-set check runs on the labels
    assert validate_frame(df, builtin_suite(section(), list(df.columns), target="label", labels=None)).success


def test_section_severity_warn_makes_builtin_failures_warnings():
    df = frame()
    df.loc[0, "label"] = np.nan
    result = check_quality(df, target="label", section=section(severity="warn"))
    assert not result.critical
    assert {c.status for c in failed(result).values()} == {Status.WARN}


# --- the quality gate wired into runs: fail fast with a block and a report; usage errors stay errors ---

MODEL = "sklearn.linear_model.LogisticRegression"


def config(data, **extra):
    return make_config({"data": data, "target": "label", "model": MODEL, **extra})


def test_null_target_blocks_before_any_model_is_fit(null_target_csv):
    result = run_check(config(null_target_csv))
    assert result.decision.outcome is Outcome.BLOCK
    assert result.model is None and result.evidence.gap is None  # nothing was trained
    names = [c.name for c in result.decision.failed]
    assert names == ["quality:expect_column_values_to_not_be_null:label:target_not_null"]
    assert "2 of 200 values unexpected" in result.decision.reasons[0]


def test_not_required_keeps_the_old_data_error(null_target_csv):
    with pytest.raises(DataError, match="target column 'label' has 2 missing"):
        run_check(config(null_target_csv), policy=Policy(quality={"required": False}))


def test_clean_data_runs_the_gate_with_a_passing_quality_check(noisy_csv):
    result = run_check(config(noisy_csv, folds=3))
    quality = [c for c in result.decision.checks if c.name == "quality"]
    assert [c.status for c in quality] == [Status.PASS]
    assert result.evidence.gap is not None and result.evidence.quality.success


def test_missing_policy_suite_is_a_usage_error(noisy_csv, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[quality]\nsuite = "nowhere.json"\n')
    with pytest.raises(ConfigError, match=r"nowhere\.json' does not exist"):
        run_check(config(noisy_csv, policy=policy))
