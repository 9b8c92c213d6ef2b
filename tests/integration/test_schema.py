"""Real reports (two real gate runs) against the published JSON Schema: drifted shapes are refused naming the key."""

from __future__ import annotations

import copy
import re

import pytest

from gapgates.errors import ConfigError
from gapgates.report.schema import validate_report
from tests.helpers import load, real_run, with_optional_sections


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schema")
    real_run(tmp, history=tmp / "h.sqlite")  # one earlier run, so the report has a history section
    return load(real_run(tmp, history=tmp / "h.sqlite"))


def test_real_reports_validate(report):
    assert report["history"]["runs"] and report["history"]["metric"] == "accuracy"
    validate_report(report)
    validate_report(with_optional_sections(report))
    optional = ("noise", "noise_adjusted", "shift", "leakage", "diagnosis", "learning_curve", "quality", "champion", "registry")
    validate_report({**report, **dict.fromkeys(optional)})  # null ok
    validate_report({k: v for k, v in report.items() if k not in optional})  # absent ok
    without_history = {k: v for k, v in report.items() if k != "history"}
    validate_report(without_history)  # reports written before history existed


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.update(decision="maybe"), "decision"),
        (lambda r: r.pop("checks"), "(top level)"),
        (lambda r: r.update(surprise=1), "(top level)"),
        (lambda r: r["checks"][0].update(status="ok"), "checks/0/status"),
        (lambda r: r["checks"][0].update(extra=1), "checks/0"),
        (lambda r: r["gap"]["accuracy"].pop("gap_ci_high"), "gap/accuracy"),
        (lambda r: r["gap"]["accuracy"].update(gap_mean="0.1"), "gap/accuracy/gap_mean"),
        (lambda r: r["data"].update(rows=-1), "data/rows"),
        (lambda r: r["data"].update(unknown=1), "data"),
        (lambda r: r["config"].update(folds=1), "config/folds"),
        (lambda r: r.update(noise=[1, 2]), "noise"),
        (lambda r: r.update(schema_version="2.0"), "schema_version"),
    ],
)
def test_invalid_reports_are_refused_naming_the_key(report, change, where):
    broken = copy.deepcopy(report)
    change(broken)
    with pytest.raises(ConfigError, match=re.escape(f"does not match the report schema at '{where}'")):
        validate_report(broken)


@pytest.mark.parametrize(
    ("change", "where"),
    [  # the guessed shapes the renderers were first written against, and other drift
        (lambda r: r["noise"].update(per_class={"0": 0.17}), "noise/per_class/0"),
        (lambda r: r["noise"]["per_class"]["1"].pop("estimated_noise"), "noise/per_class/1"),
        (lambda r: r["noise"]["issues"][0].update(quality="low"), "noise/issues/0/quality"),
        (lambda r: r["noise"].pop("skipped"), "noise"),
        (lambda r: r.update(noise_adjusted={"accuracy": {"test_mean": 0.9, "gap_mean": 0.1}}), "noise_adjusted"),
        (lambda r: r["noise_adjusted"]["metrics"]["accuracy"].pop("gap_ci_low"), "noise_adjusted/metrics/accuracy"),
        (lambda r: r["shift"].update(top_features=[{"feature": "x3", "importance": 0.41}]), "shift/top_features/0"),
        (lambda r: r["shift"].update(auc=None), "shift/auc"),
        (lambda r: r.update(leakage={"duplicate_rate": 0.0, "n_duplicates": 0, "feature_scores": {"x1": 0.6}}), "leakage"),
        (lambda r: r["leakage"].update(duplicate_rows=[0.5]), "leakage/duplicate_rows/0"),
        (lambda r: r["diagnosis"].update(label="confused"), "diagnosis/label"),
        (lambda r: r["diagnosis"].pop("also"), "diagnosis"),
        (lambda r: r.update(learning_curve={"train_sizes": [1], "train_scores": [1.0], "test_scores": [0.5]}), "learning_curve"),
        (lambda r: r["learning_curve"]["points"][0].pop("gap"), "learning_curve/points/0"),
        (lambda r: r["quality"].update(expectations=r["quality"].pop("results")), "quality"),
        (lambda r: r["quality"]["results"][0].update(success="yes"), "quality/results/0/success"),
        (lambda r: r.update(registry={"version": "v7", "path": "/tmp/registry"}), "registry"),
        (lambda r: r["registry"].update(promoted="no"), "registry/promoted"),
        (lambda r: r["champion"].update(test={"accuracy": 0.74}), "champion/test"),
        (lambda r: r["champion"].pop("reason"), "champion"),
    ],
)
def test_optional_section_shape_drift_is_refused(report, change, where):
    broken = with_optional_sections(copy.deepcopy(report))
    validate_report(broken)
    change(broken)
    with pytest.raises(ConfigError, match=re.escape(f"does not match the report schema at '{where}'")):
        validate_report(broken)
