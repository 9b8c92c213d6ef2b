"""report.json against its published JSON Schema."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
from conftest import ROOT
from report_fixtures import load, real_run, with_optional_sections

from gapgates.errors import ConfigError
from gapgates.report import SCHEMA_VERSION
from gapgates.schema import report_schema, validate_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schema")
    real_run(tmp, history=tmp / "h.sqlite")  # one earlier run, so the report has a history section
    return load(real_run(tmp, history=tmp / "h.sqlite"))


def test_published_schema_is_the_packaged_one_and_is_valid():
    published = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    assert published == report_schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert published["properties"]["schema_version"]["pattern"] == "^1\\.[0-9]+$"
    assert SCHEMA_VERSION.startswith("1.")


def test_real_reports_validate(report):
    assert report["history"]["runs"] and report["history"]["metric"] == "accuracy"
    validate_report(report)
    validate_report(with_optional_sections(report))
    validate_report({**report, **dict.fromkeys(("noise", "shift", "quality", "champion", "registry"))})  # null ok
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
