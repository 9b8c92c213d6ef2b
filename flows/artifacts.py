"""Prefect artifacts of a gate run: the Markdown report, per-fold scores, a link to the HTML report."""

from __future__ import annotations

import re
from typing import Any

from gapgates.flows.tasks import IO_RETRIES
from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from gapgates.publishing import Published
from gapgates.report.build import render_markdown

__all__ = ["artifact_keys", "fold_rows", "publish_artifacts"]


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


@task(name="publish-artifacts", cache_policy=NO_CACHE, **IO_RETRIES)
def publish_artifacts(published: Published) -> dict[str, str]:
    """The run's Prefect artifacts, from its published report: the Markdown report, the per-fold
    scores, a link to the HTML report.

    Args:
        published: What the ``publish`` step wrote.

    Returns:
        The artifact keys created, by kind.
    """
    report = published.report
    keys = artifact_keys(report["model"]["name"])
    create_markdown_artifact(render_markdown(report), key=keys["report"],
                             description=f"{report['model']['name']}: {report['decision']}")
    created = {"report": keys["report"]}
    rows = fold_rows(report)
    if rows:
        create_table_artifact(rows, key=keys["folds"], description=f"Per-fold scores of {report['model']['name']}")
        created["folds"] = keys["folds"]
    html = published.paths.get("html")
    if html is not None and html.is_file():
        create_link_artifact(html.resolve().as_uri(), link_text="HTML report", key=keys["html"],
                             description=f"Full report of {report['model']['name']}")
        created["html"] = keys["html"]
    return created
