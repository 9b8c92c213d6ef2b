"""The published JSON Schema of report.json (real reports against it are in tests/integration/test_schema.py)."""

from __future__ import annotations

import json

import jsonschema

from gapgates.report.build import SCHEMA_VERSION
from gapgates.report.schema import report_schema
from tests.helpers import ROOT


def test_published_schema_is_the_packaged_one_and_is_valid():
    published = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    assert published == report_schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert published["properties"]["schema_version"]["pattern"] == "^1\\.[0-9]+$"
    assert SCHEMA_VERSION.startswith("1.")


def test_published_sweep_schema_is_the_packaged_one_and_is_valid():
    from gapgates.report.schema import sweep_schema
    from gapgates.report.sweep import SWEEP_SCHEMA_VERSION

    published = json.loads((ROOT / "schema" / "sweep.schema.json").read_text(encoding="utf-8"))
    assert published == sweep_schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert published["$defs"]["metric_gap"] == report_schema()["$defs"]["metric_gap"]  # one shape of a gap
    assert SWEEP_SCHEMA_VERSION.startswith("1.")


def test_a_sweep_document_off_the_schema_is_refused_in_one_line():
    import pytest

    from gapgates.errors import ConfigError
    from gapgates.report.schema import validate_sweep

    with pytest.raises(ConfigError, match=r"sweep\.json does not match the sweep schema at '\(top level\)'"):
        validate_sweep({"schema_version": "1.0"})


def test_published_monitor_schema_is_the_packaged_one_is_valid_and_holds_what_the_history_reads():
    from gapgates.monitor import MONITOR_SCHEMA_VERSION
    from gapgates.report.schema import monitor_schema

    published = json.loads((ROOT / "schema" / "monitor.schema.json").read_text(encoding="utf-8"))
    assert published == monitor_schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert MONITOR_SCHEMA_VERSION.startswith("1.") and published["properties"]["kind"] == {
        "const": "monitor",
        "description": published["properties"]["kind"]["description"],
    }
    gap = published["properties"]["gap"]["additionalProperties"]
    assert {"gap_mean", "gap_ci_low", "gap_ci_high"} <= set(gap["required"])  # record_from_report's keys
    assert {"model", "registry", "data", "decision", "primary_metric", "kind"} <= set(published["required"])


def test_published_digest_schema_is_the_packaged_one_and_is_valid():
    from gapgates.report.digest import DIGEST_SCHEMA_VERSION
    from gapgates.report.schema import digest_schema

    published = json.loads((ROOT / "schema" / "digest.schema.json").read_text(encoding="utf-8"))
    assert published == digest_schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert DIGEST_SCHEMA_VERSION.startswith("1.")


def test_every_diagnosis_label_is_allowed_as_the_label_and_among_the_others():
    """A run whose other findings include any label (``benign_gap`` among them) writes a valid report."""
    from gapgates.judge.diagnosis import labels
    from gapgates.report.schema import report_schema

    diagnosis = report_schema()["properties"]["diagnosis"]["properties"]
    assert set(labels()) <= set(diagnosis["label"]["enum"])
    assert set(labels()) <= set(diagnosis["also"]["items"]["enum"])
