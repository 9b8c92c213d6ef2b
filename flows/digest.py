"""The ``stakeholder-digest`` flow: build the digest of every model, publish it as a Prefect artifact, and send its
summary with a link to the policy's webhook.

A thin flow over :mod:`gapgates.report.digest` (the same code as ``gapgates digest``): one task writes
``digest.html``, ``digest.md`` and ``digest.json`` into ``out``; one publishes the summary as a Markdown
artifact (key ``gapgates-digest``, so the UI keeps its weekly history) and, when ``digest_url`` says where ``out``
is served, a link artifact to ``digest.html``; one POSTs the summary to ``[notify] webhook_url`` of the policy when
one is configured. The webhook is a courtesy: a webhook that fails is a warning, and the run still completes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import UUID

from gapgates.flows.artifacts import create_link_artifact, create_markdown_artifact
from gapgates.flows.tasks import IO_RETRIES
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from gapgates.errors import ConfigError
from gapgates.notify import Notification, post
from gapgates.report.digest import build_digest, digest_summary, write_digest

__all__ = ["DIGEST_KEY", "build_and_write", "digest_link", "publish_digest", "send_digest", "stakeholder_digest"]

#: Artifact key of the digest's summary (and ``<key>-html`` for the link to the page).
DIGEST_KEY = "gapgates-digest"


def digest_link(out: str | Path, digest_url: str | None) -> str:
    """Where readers find ``digest.html``: ``<digest_url>/digest.html`` when ``out`` is served, else its path.

    Example:
        >>> digest_link("/srv/digest", "https://reports.example.invalid/digest/")
        'https://reports.example.invalid/digest/digest.html'

    Raises:
        ConfigError: When ``digest_url`` is not an http(s) URL.
    """
    if digest_url is None:
        return str(Path(out).resolve() / "digest.html")
    if not re.match(r"^https?://\S+$", digest_url):
        raise ConfigError(f"The 'digest_url' must be the http(s) URL at which 'out' is served. Got {digest_url!r}.")
    return f"{digest_url.rstrip('/')}/digest.html"


@task(name="build-digest", cache_policy=NO_CACHE, **IO_RETRIES)
def build_and_write(history: str, out: str, registries: list[str], policy: str | None) -> dict[str, Any]:
    """Build the digest and write its three files into ``out``; returns the ``digest.json`` mapping."""
    document = build_digest(history, registries=registries, policy=policy)
    write_digest(document, out)
    return document


@task(name="publish-digest-artifact", cache_policy=NO_CACHE, **IO_RETRIES)
def publish_digest(document: dict[str, Any], link: str, *, served: bool) -> dict[str, UUID]:
    """The summary as a Markdown artifact (with the link or the path of ``digest.html``), and a link artifact
    when the page is served at an http(s) URL; their ids by kind."""
    s = document["summary"]
    description = (
        f"{s['models']} models, {s['open_approvals']} open approvals, retrain advised: {', '.join(s['retrain']) or 'none'}"
    )
    shown = f"[digest.html]({link})" if served else f"`{link}` (set `digest_url` to link it from here)"
    created = {"summary": create_markdown_artifact(digest_summary(document, link=shown), key=DIGEST_KEY, description=description)}
    if served:
        created["html"] = create_link_artifact(
            link, link_text="digest.html", key=f"{DIGEST_KEY}-html", description="The stakeholder digest of every model"
        )
    return created


@task(name="send-digest", cache_policy=NO_CACHE)
def send_digest(document: dict[str, Any], link: str, policy: str | None) -> Notification:
    """POST the summary and the link to the policy's ``[notify] webhook_url`` (every week: the digest is not a
    decision, so ``notify.on`` does not filter it). Not configured: nothing is sent."""
    from gapgates.judge.policy import load_policy

    settings = load_policy(policy).notify
    if settings.webhook_url is None:
        return Notification(False, None, "no webhook_url is configured")
    sent = post(digest_summary(document, link=link), settings.webhook_url, timeout=settings.timeout)
    if not sent.sent:
        get_run_logger().warning("The digest was not sent to the webhook (%s); it is written and published.", sent.detail)
    return sent


@flow(name="stakeholder-digest", log_prints=False)
def stakeholder_digest(
    history: str, out: str, registries: list[str] | None = None, policy: str | None = None, digest_url: str | None = None
) -> dict[str, Any]:
    """Write the digest of every model in ``history`` into ``out``, publish it, and tell the webhook.

    Args:
        history: The run-history SQLite file the gate and monitor runs record to.
        out: Where to write ``digest.html``, ``digest.md`` and ``digest.json``.
        registries: The models' registry directories (production, reasons, approvals).
        policy: The policy: its limits are drawn, its ``[notify] webhook_url`` receives the summary.
        digest_url: The http(s) URL at which ``out`` is served, for the links (else the path is shown).

    Returns:
        ``{"html": path, "link": ..., "summary": {...}, "artifacts": {kind: id}, "notification": {...}}``.
    """
    link = digest_link(out, digest_url)
    document = build_and_write(history, out, list(registries or []), policy)
    created = publish_digest(document, link, served=digest_url is not None)
    sent = send_digest(document, link, policy)
    return {
        "html": str(Path(out) / "digest.html"),
        "link": link,
        "summary": document["summary"],
        "artifacts": {kind: str(i) for kind, i in created.items()},
        "notification": {"sent": sent.sent, "status": sent.status, "detail": sent.detail},
    }
