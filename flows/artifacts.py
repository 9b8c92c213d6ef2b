"""Prefect artifacts of a gate run: the Markdown report, per-fold scores, a link to the HTML report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gapgates.flows.tasks import IO_RETRIES
from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from gapgates.publishing import publish
from gapgates.report.build import render_markdown

__all__ = ["artifact_keys", "fold_rows", "publish_report"]


def artifact_keys(name: str) -> dict[str, str]:
    """Stable artifact keys of a model (lowercase, digits, dashes), so the UI keeps its history.

    Example:
        >>> artifact_keys("My_Model v2")["report"]
        'gapgates-my-model-v2'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"
    base = f"gapgates-{slug}"
    return {"report": base, "folds": f"{base}-folds", "html": f"{base}-html"}


def fold_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per fold and metric: train, test and gap."""
    rows = []
    for metric, g in (report.get("gap") or {}).items():
        for i, fold in enumerate(g["folds"]):
            train, test = fold["train"], fold["test"]
            gap = None if train is None or test is None else round(train - test, 6)
            rows.append({"fold": i, "metric": metric, "train": train, "test": test, "gap": gap})
    return rows


@task(name="publish-report", cache_policy=NO_CACHE, **IO_RETRIES)
def publish_report(result: Any) -> dict[str, Any]:
    """Publish the run (:func:`gapgates.publish.publish`: report files when ``out`` is set, the run
    history, the webhook) and create the run's artifacts.

    Args:
        result: The :class:`~gapgates.runner.RunResult` (its ``extra`` holds the outcome).

    Returns:
        The ``report.json`` mapping, with ``artifacts``: the keys created.
    """
    out = result.prepared.config.out
    report = publish(result, out=out).report
    keys = artifact_keys(report["model"]["name"])
    headline = f"{report['model']['name']}: {report.get('outcome', {}).get('outcome', report['decision'])}"
    create_markdown_artifact(render_markdown(report), key=keys["report"], description=headline)
    created = {"report": keys["report"]}
    rows = fold_rows(report)
    if rows:
        create_table_artifact(rows, key=keys["folds"], description=f"Per-fold scores of {report['model']['name']}")
        created["folds"] = keys["folds"]
    html = Path(out) / "report.html" if out is not None else None
    if html is not None and html.is_file():
        create_link_artifact(html.resolve().as_uri(), link_text="HTML report", key=keys["html"],
                             description=f"Full report of {report['model']['name']}")
        created["html"] = keys["html"]
    return {**report, "artifacts": created}
