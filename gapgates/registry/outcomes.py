"""What became of a run's promotion: a ``pending`` outcome settled from the registry that holds the truth.

A run that moves production writes its reports and its history row as ``pending`` *before* the switch, switches,
then records the outcome (:mod:`gapgates.publishing`). A run killed in between leaves them pending, and only the
registry knows whether production moved (:meth:`~gapgates.registry.base.Registry.switched`). Readers (``gapgates
history``, ``digest``, ``report --from``, the noise reference) settle a pending run here, reading only:

* ``promoted`` when the registry shows the switch to the run's version;
* ``unfinished`` (not promoted) when it does not: the run ended before production moved;
* ``pending`` (not promoted) when the registry cannot be read.

Example:
    >>> runs = settle_runs(History("history.sqlite").runs())  # doctest: +SKIP
    >>> [r.outcome for r in runs if r.version == "v3"]  # doctest: +SKIP
    ['promoted']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from gapgates.errors import GapGatesError
from gapgates.history import RunRecord

__all__ = ["settle_outcome", "settle_report", "settle_runs"]


def settle_outcome(location: str, *, model: str, alias: str | None, version: str) -> str:
    """``promoted`` or ``unfinished`` from the registry at ``location``; ``pending`` when it cannot be read.

    Args:
        location: The registry's location as the run recorded it (absolute).
        model: The model's name (a store holding several models).
        alias: The production alias the run used (an MLflow registry), or None.
        version: The version the run registered.
    """
    from gapgates.registry import open_registry

    try:
        registry = open_registry(location, must_exist=True, model_name=model, alias=alias)
        return "promoted" if registry.switched(version) else "unfinished"
    except GapGatesError:  # the registry moved, is gone, or is damaged: the run stays unconfirmed, not promoted
        return "pending"


def settle_runs(records: Sequence[RunRecord]) -> list[RunRecord]:
    """The records with every ``pending`` outcome settled from its registry (each registry opened once).

    Args:
        records: History records (:meth:`gapgates.history.History.runs`).

    Returns:
        The same records; a pending one with the outcome its registry tells (see the module's docstring).
    """
    seen: dict[tuple[str, str, str | None, str], str] = {}
    settled = []
    for record in records:
        if record.outcome == "pending" and record.version is not None and record.registry is not None:
            key = (record.registry, record.model, record.alias, record.version)
            if key not in seen:
                seen[key] = settle_outcome(record.registry, model=record.model, alias=record.alias, version=record.version)
            record = dataclasses.replace(record, outcome=seen[key])
        settled.append(record)
    return settled


def settle_report(report: dict[str, Any]) -> dict[str, Any]:
    """A ``report.json`` mapping whose ``pending`` registry section is settled from its registry (a copy; any other
    report is returned as it is).

    The section then says whether the version was promoted, production accordingly, and when it was settled.
    """
    section = report.get("registry")
    if not isinstance(section, dict) or section.get("outcome") != "pending":
        return report
    location, version, model = section.get("location"), section.get("version"), (report.get("model") or {}).get("name")
    if not isinstance(location, str) or not isinstance(version, str):
        return report
    outcome = settle_outcome(location, model=str(model), alias=section.get("alias"), version=version)
    if outcome == "pending":
        return report
    promoted = outcome == "promoted"
    settled = {
        **section,
        "outcome": outcome,
        "promoted": promoted,
        "production": version if promoted else section.get("previous"),
        "settled": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return {**report, "registry": settled}
