"""The published JSON Schema of ``report.json`` and validation against it.

The schema ships as package data (``gapgates/report/schemas/report.schema.json``,
published in the repository as ``schema/report.schema.json``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from gapgates.errors import ConfigError

__all__ = ["report_schema", "validate_report"]


@cache
def report_schema() -> dict[str, Any]:
    """The report JSON Schema (draft 2020-12) as a mapping."""
    text = resources.files("gapgates").joinpath("report/schemas/report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_report(report: Any, *, source: str = "report") -> None:
    """Check a report mapping against the schema.

    Args:
        report: The parsed ``report.json``.
        source: Name used in the error message.

    Raises:
        ConfigError: Naming the first offending key and what is wrong with it.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(report))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{source} does not match the report schema at '{where}': {error.message}.")
