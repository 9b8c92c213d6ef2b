"""The published JSON Schemas of ``report.json``, ``sweep.json``, a monitor's ``report.json`` and ``digest.json``.

The schemas ship as package data (``gapgates/report/schemas/*.schema.json``), published in the repository as
``schema/report.schema.json``, ``schema/sweep.schema.json``, ``schema/monitor.schema.json`` and
``schema/digest.schema.json``; the ``validate_*`` functions check a document against them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from gapgates.errors import ConfigError

__all__ = [
    "digest_schema",
    "monitor_schema",
    "report_schema",
    "sweep_schema",
    "validate_digest",
    "validate_monitor",
    "validate_report",
    "validate_sweep",
]


@cache
def _packaged(name: str) -> dict[str, Any]:
    text = resources.files("gapgates").joinpath(f"report/schemas/{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def report_schema() -> dict[str, Any]:
    """The report JSON Schema (draft 2020-12) as a mapping."""
    return _packaged("report")


def sweep_schema() -> dict[str, Any]:
    """The ``sweep.json`` JSON Schema (draft 2020-12) as a mapping."""
    return _packaged("sweep")


def monitor_schema() -> dict[str, Any]:
    """The JSON Schema of a ``gapgates monitor`` ``report.json`` (``kind: "monitor"``) as a mapping."""
    return _packaged("monitor")


def digest_schema() -> dict[str, Any]:
    """The ``digest.json`` JSON Schema (draft 2020-12) as a mapping."""
    return _packaged("digest")


def _validate(document: Any, schema: dict[str, Any], *, source: str, kind: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{source} does not match the {kind} schema at '{where}': {error.message}.")


def validate_report(report: Any, *, source: str = "report") -> None:
    """Check a report mapping against the schema.

    Args:
        report: The parsed ``report.json``.
        source: Name used in the error message.

    Raises:
        ConfigError: Naming the first offending key and what is wrong with it.
    """
    _validate(report, report_schema(), source=source, kind="report")


def validate_sweep(document: Any, *, source: str = "sweep.json") -> None:
    """Check a sweep mapping against the ``sweep.json`` schema.

    Args:
        document: The parsed ``sweep.json``.
        source: Name used in the error message.

    Raises:
        ConfigError: Naming the first offending key and what is wrong with it.
    """
    _validate(document, sweep_schema(), source=source, kind="sweep")


def validate_monitor(document: Any, *, source: str = "monitor report") -> None:
    """Check a monitor report mapping against ``monitor.schema.json``.

    Args:
        document: The parsed ``report.json`` of a monitor run.
        source: Name used in the error message.

    Raises:
        ConfigError: Naming the first offending key and what is wrong with it.
    """
    _validate(document, monitor_schema(), source=source, kind="monitor report")


def validate_digest(document: Any, *, source: str = "digest.json") -> None:
    """Check a digest mapping against the ``digest.json`` schema.

    Raises:
        ConfigError: Naming the first offending key and what is wrong with it.
    """
    _validate(document, digest_schema(), source=source, kind="digest")
