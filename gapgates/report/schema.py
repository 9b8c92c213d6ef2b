"""The published JSON Schemas of ``report.json``, ``sweep.json``, a monitor's ``report.json`` and ``digest.json``.

The schemas ship as package data (``gapgates/report/schemas/*.schema.json``), published in the repository as
``schema/report.schema.json``, ``schema/sweep.schema.json``, ``schema/monitor.schema.json`` and
``schema/digest.schema.json``; the ``validate_*`` functions check a document against them. The report's schema is
assembled from its core (``report.core.schema.json``) and the fragment of every registered measurement's section
(``gapgates/measurements/schemas``), so a new measurement's keys are validated too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache, lru_cache
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


def _fragment(name: str, source: str) -> Mapping[str, Any]:
    """A measurement's JSON-schema fragment: a file under ``gapgates/measurements/schemas`` (``file:<name>``), or its
    inline mapping as canonical JSON (``json:<text>``)."""
    kind, value = source.split(":", 1)
    if kind == "json":
        return json.loads(value)
    return json.loads(resources.files("gapgates.measurements").joinpath("schemas", value).read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def _assembled(fragments: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    schema = copy.deepcopy(_packaged("report.core"))
    defs: dict[str, Any] = {}
    for name, source in fragments:
        fragment = _fragment(name, source)
        for prop, value in fragment.get("properties", {}).items():
            if prop in schema["properties"]:
                raise ValueError(f"The schema fragment of {name} redefines the report key {prop!r}.")
            schema["properties"][prop] = value
        defs.update(fragment.get("$defs", {}))
        schema["required"] += [k for k in fragment.get("required", []) if k not in schema["required"]]
    if defs:
        schema["$defs"] = defs
    return schema


def report_schema() -> dict[str, Any]:
    """The report JSON Schema (draft 2020-12) as a mapping: the core keys and every registered measurement's
    fragment (``schema/report.schema.json`` is this, for the built-in measurements)."""
    from gapgates.measurements import REGISTRY

    fragments = []
    for measurement in list(REGISTRY.values()):
        schema = None if measurement.section is None else measurement.section.schema
        if isinstance(schema, str):
            fragments.append((measurement.name, f"file:{schema}"))
        elif schema is not None:
            fragments.append((measurement.name, "json:" + json.dumps(schema, sort_keys=True)))
    return copy.deepcopy(_assembled(tuple(fragments)))


def sweep_schema() -> dict[str, Any]:
    """The ``sweep.json`` JSON Schema (draft 2020-12) as a mapping."""
    return _packaged("sweep")


def monitor_schema() -> dict[str, Any]:
    """The JSON Schema of a ``gapgates monitor`` ``report.json`` (``kind: "monitor"``) as a mapping."""
    return _packaged("monitor")


def digest_schema() -> dict[str, Any]:
    """The ``digest.json`` JSON Schema (draft 2020-12) as a mapping."""
    return _packaged("digest")


def _validate(document: Any, schema: dict[str, Any], *, source: str, kind: str, error: type[Exception] = ConfigError) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    found = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if found is not None:
        where = "/".join(str(p) for p in found.absolute_path) or "(top level)"
        raise error(f"{source} does not match the {kind} schema at '{where}': {found.message}.")


def validate_report(report: Any, *, source: str = "report", error: type[Exception] = ConfigError) -> None:
    """Check a report mapping against the schema.

    Args:
        report: The parsed ``report.json``.
        source: Name used in the error message.
        error: What to raise: ``ConfigError`` for a file a user gave; ``RuntimeError`` for a report gapgates is about
            to write (a section that does not match its own schema is a bug, never bad input).

    Raises:
        ConfigError: Naming the first offending key and what is wrong with it (or ``error``).
    """
    _validate(report, report_schema(), source=source, kind="report", error=error)


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


if __name__ == "__main__":  # python -m gapgates.report.schema > schema/report.schema.json
    print(json.dumps(report_schema(), indent=2, ensure_ascii=False))
