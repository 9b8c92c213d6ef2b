"""The data-quality gate's result (Great Expectations, run by the ``data-quality-gate`` step): its checks and section.

One check per failed expectation (a failed critical expectation fails the gate when ``[quality] required``,
anything else warns), or one passing summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import fmt
from gapgates.judge.checks import Check, RuleSpec, Status
from gapgates.measurements.base import Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence

__all__ = ["QUALITY", "failed_expectations", "quality_checks"]


def quality_checks(result: Any, *, required: bool) -> list[Check]:
    """Checks from a quality result: one per failed expectation, or one passing summary.

    A failed critical expectation fails the gate when ``required``; anything else that
    failed only warns.
    """
    if result.success:
        tables = ", ".join(f"{name} ({n} rows)" for name, n in result.rows.items())
        return [Check("quality", Status.PASS, 0.0, 0.0, f"All {len(result.results)} data-quality expectations held on {tables}.")]
    checks = []
    absent = {(o.dataset, o.column) for o in result.failures if o.expectation == "expect_column_to_exist"}
    for outcome in result.failures:
        if (
            outcome.details.get("missing_column")
            and outcome.expectation != "expect_column_to_exist"
            and ((outcome.dataset, outcome.column) in absent)
        ):
            continue  # one check per missing column, from expect_column_to_exist
        status = Status.FAIL if outcome.critical and required else Status.WARN
        value = outcome.observed if isinstance(outcome.observed, (int, float)) else None
        checks.append(Check(outcome.name, status, value, None, outcome.message))
    return checks


def failed_expectations(quality: Any) -> list[dict[str, Any]]:
    """The failed entries of the ``quality`` section's ``results``."""
    results = quality.get("results") if isinstance(quality, dict) else None
    return [r for r in results or [] if isinstance(r, dict) and not r.get("success", False)]


def _json(ev: Evidence) -> dict[str, Any]:
    return {"quality": None if ev.quality is None else ev.quality.to_dict()}


def _markdown(report: dict[str, Any]) -> list[str]:
    q = report.get("quality")
    if not isinstance(q, dict) or q.get("skipped"):
        return []
    failed = failed_expectations(q)
    lines = ["## Data quality: " + ("passed" if q.get("success") else "FAILED"), ""]
    if not failed:
        return lines
    lines += ["| table | expectation | column | observed | examples |", "|---|---|---|---|---|"]
    for e in failed:
        examples = ", ".join(map(repr, (e.get("details") or {}).get("examples") or []))
        cells = [fmt(e.get("dataset")), fmt(e.get("expectation")), fmt(e.get("column")), fmt(e.get("observed")), examples]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


QUALITY = Measurement(
    name="quality",
    step="quality",
    rules=(RuleSpec("quality", "quality", checks=lambda q, policy: quality_checks(q, required=policy.quality.required)),),
    section=Section(
        keys=("quality",),
        required=("quality",),
        json=_json,
        schema="quality.json",
        markdown=_markdown,
        html="quality.html.j2",
        context=lambda report: {"failed_expectations": failed_expectations(report.get("quality"))},
    ),
)
