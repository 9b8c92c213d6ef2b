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
