"""Prefect artifacts of a gate run: the Markdown report (with the noise reference line, the drifted columns, the weak
segments, how the model errs and the training-data issues), per-fold scores, the per-column drift table (with a
holdout), the weakest segments as a table, a link to the HTML report, the approval.

The reviewer of a ``needs_approval`` decision sees them *before* answering: :func:`publish_evidence`
publishes the pending report (and writes report.json/md/html into ``out``) before the run pauses;
:func:`publish_artifacts` publishes the final report after the ``publish`` step, and an approval
artifact naming the outcome, the approver and the reason.

The HTML report is linked only at an http(s) URL (``report_url``: where ``out`` is served), never
as a ``file://`` path on the worker's disk, which no browser opening the UI can reach.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

from gapgates.flows.tasks import IO_RETRIES
from prefect import artifacts, task
from prefect.cache_policies import NO_CACHE

from gapgates.pipeline.steps import RunResult
from gapgates.pipeline.sweep import Recommendation
from gapgates.publishing import Published
from gapgates.report.build import build_report, render_markdown, write_reports
from gapgates.report.html import approval_summary


def _sync(create: Callable[..., UUID | Coroutine[Any, Any, UUID]]) -> Callable[..., UUID]:
    """One of Prefect's artifact functions as called from a sync task: it returns the artifact's id there (an
    awaitable only in async code, which these tasks never are)."""

    def call(*args: Any, **kwargs: Any) -> UUID:
        made = create(*args, **kwargs)
        if isinstance(made, UUID):
            return made
        if isinstance(made, Coroutine):
            made.close()
        raise RuntimeError(f"{create.__name__} returned {type(made).__name__}, not an artifact id: call it from sync code.")

    return call


create_link_artifact = _sync(artifacts.create_link_artifact)
create_markdown_artifact = _sync(artifacts.create_markdown_artifact)
create_table_artifact = _sync(artifacts.create_table_artifact)

__all__ = [
    "artifact_keys",
    "artifact_url",
    "html_url",
    "publish_artifacts",
    "publish_evidence",
    "publish_recommendation",
    "recommendation_markdown",
    "sweep_rows",
]


def artifact_keys(name: str) -> dict[str, str]:
    """Stable artifact keys of a model (lowercase, digits, dashes), so the UI keeps its history.

    Example:
        >>> artifact_keys("My_Model v2")["report"]
        'gapgates-my-model-v2'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"
    base = f"gapgates-{slug}"
    return {
        "report": base,
        "html": f"{base}-html",
        "approval": f"{base}-approval",
        "sweep": f"{base}-sweep",
        "recommendation": f"{base}-recommendation",
    }  # and f"{base}-<kind>" for each measurement's table (folds, drift, segments...)


def sweep_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The capacity curve of a ``sweep.json`` mapping, one row per value: value, train, test, gap, regime, decision."""
    from gapgates.compute.sweep import format_value

    metric = document["primary_metric"]
    rows = []
    for entry in document["values"]:
        g = entry["gap"][metric]
        rows.append(
            {
                "value": format_value(entry["value"]),
                "train": g["train_mean"],
                "test": g["test_mean"],
                "gap": g["gap_mean"],
                "gap_ci_high": g["gap_ci_high"],
                "regime": entry["regime"],
                "decision": entry["decision"],
            }
        )
    return rows


def recommendation_markdown(
    name: str, document: dict[str, Any] | None, early_stopping: dict[str, Any] | None, notes: dict[str, str]
) -> str:
    """The recommendation artifact: the verified ``--param`` (the sweep's table), the early-stopping settings
    re-checked, and why a part could not run."""
    from gapgates.report.sweep import render_sweep_markdown, stopping_lines

    lines = [f"# gapgates: recommendation for {name}", ""]
    if document is not None:
        lines += [render_sweep_markdown(document).replace("# Capacity sweep", "## Capacity sweep", 1), ""]
    if early_stopping is not None:
        lines += ["## Early stopping", "", *(f"- {line.strip()}" for line in stopping_lines(early_stopping)), ""]
    lines += [f"- Note: {note}" for note in notes.values()]
    return "\n".join(lines).rstrip() + "\n"


@task(name="publish-recommendation", cache_policy=NO_CACHE, **IO_RETRIES)
def publish_recommendation(recommendation: Recommendation, name: str, metric: str) -> dict[str, UUID]:
    """The ``recommend`` step's artifacts: a table of the capacity curve (value, train, test, gap, regime) and a
    Markdown artifact with the verified recommendation and the early-stopping settings re-checked.

    Returns:
        The ids of the artifacts created, by kind (``sweep``, ``recommendation``).
    """
    from gapgates.report.sweep import early_stopping_section, sweep_document

    keys = artifact_keys(name)
    document = None if recommendation.sweep is None else sweep_document(recommendation.sweep)
    created = {}
    if document is not None:
        created["sweep"] = create_table_artifact(
            sweep_rows(document), key=keys["sweep"], description=f"Capacity sweep of {name} over {document['param']}"
        )
    markdown = recommendation_markdown(name, document, early_stopping_section(recommendation, metric), recommendation.notes)
    created["recommendation"] = create_markdown_artifact(
        markdown, key=keys["recommendation"], description=f"Recommendation for {name}"
    )
    return created


def html_url(report: dict[str, Any]) -> str | None:
    """Where the run's ``report.html`` is served: ``<report_url>/report.html`` (None without ``report_url``)."""
    base = (report.get("config") or {}).get("report_url")
    return None if not base else f"{str(base).rstrip('/')}/report.html"


def artifact_url(artifact_id: UUID) -> str | None:
    """The artifact's page in the Prefect UI (None when no UI URL is configured)."""
    from prefect.settings import get_current_settings

    ui = get_current_settings().ui_url
    return None if not ui else f"{str(ui).rstrip('/')}/artifacts/artifact/{artifact_id}"


def _markdown(report: dict[str, Any]) -> str:
    url = html_url(report)
    out = (report.get("config") or {}).get("out")
    if url is not None:
        footer = f"Full report: [report.html]({url})"
    elif out:
        footer = f"Full report: `report.html` in `{out}` (set `report_url` to link it from here)."
    else:
        footer = "No report directory (`out`) was given: no HTML report was written."
    return render_markdown(report) + "\n" + footer + "\n"


def _create(report: dict[str, Any]) -> dict[str, UUID]:
    """The Markdown report, every measurement's tables (per-fold scores, drift per column, weakest segments...) and
    the HTML link (when served) of a report; their ids by kind."""
    from gapgates.measurements import REGISTRY

    name = report["model"]["name"]
    keys = artifact_keys(name)
    created = {
        "report": create_markdown_artifact(_markdown(report), key=keys["report"], description=f"{name}: {report['decision']}")
    }
    for measurement in list(REGISTRY.values()):
        tables = [] if measurement.section is None or measurement.section.tables is None else measurement.section.tables(report)
        for table in tables:
            created[table.kind] = create_table_artifact(
                table.rows, key=f"{keys['report']}-{table.kind}", description=table.description.format(name=name)
            )
    url = html_url(report)
    if url is not None:
        created["html"] = create_link_artifact(
            url, link_text="HTML report", key=keys["html"], description=f"Full report of {name}"
        )
    return created


@task(name="publish-evidence", cache_policy=NO_CACHE, **IO_RETRIES)
def publish_evidence(result: RunResult) -> dict[str, UUID]:
    """Before a run pauses for approval: the pending report as artifacts, and report.json/md/html in ``out``.

    Returns:
        The ids of the artifacts created, by kind (``report``, ``folds``, ``segments``, ``html``).
    """
    report = build_report(result)
    out = result.prepared.config.out
    if out is not None:
        write_reports(report, out)
    return _create(report)


@task(name="publish-artifacts", cache_policy=NO_CACHE, **IO_RETRIES)
def publish_artifacts(published: Published) -> dict[str, UUID]:
    """The run's Prefect artifacts, from its published report: the Markdown report, the per-fold
    scores, a link to the HTML report, and (after an approval) the approval's outcome.

    Args:
        published: What the ``publish`` step wrote.

    Returns:
        The ids of the artifacts created, by kind.
    """
    report = published.report
    created = _create(report)
    approval = report.get("approval")
    if approval is not None:
        name = report["model"]["name"]
        lines = [
            f"# gapgates: approval of {name}",
            "",
            str(approval_summary(report)),
            "",
            "| outcome | approver | reason |",
            "|---|---|---|",
            f"| {_outcome(report)} | {approval['actor']} | {approval['reason'] or '–'} |",
        ]
        created["approval"] = create_markdown_artifact(
            "\n".join(lines) + "\n",
            key=artifact_keys(name)["approval"],
            description=f"{name}: {_outcome(report)} by {approval['actor']}",
        )
    return created


def _outcome(report: dict[str, Any]) -> str:
    approval = report["approval"]
    if approval.get("timed_out"):
        return "timed out"
    return "approved" if approval.get("approved") else "rejected"
