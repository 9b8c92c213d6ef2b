"""After the decision: write the reports, record the run in the history, send the webhook.

Publishing comes before the production switch (see :mod:`gapgates.gate`): when it fails,
production has not moved. Recording and notifying never change the decision; a webhook
that fails is logged, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gapgates.enforcement import Approval, Enforcement
    from gapgates.notify import Notification
    from gapgates.pipeline.steps import RunResult
    from gapgates.pipeline.sweep import Recommendation

__all__ = ["Published", "publish", "retract"]


@dataclass(frozen=True)
class Published:
    """What :func:`publish` did.

    Attributes:
        report: The ``report.json`` mapping.
        paths: ``{"json", "markdown", "html"}`` paths (empty when no report directory was given).
        history_id: The run's id in the history database (None without a history).
        notification: What happened to the webhook.
    """

    report: dict[str, Any]
    paths: dict[str, Path]
    history_id: int | None
    notification: Notification


def publish(
    result: RunResult,
    *,
    out: str | Path | None,
    enforcement: Enforcement | None = None,
    approval: Approval | None = None,
    recommendation: Recommendation | None = None,
) -> Published:
    """Write the reports into ``out`` (if given), record the run in its history, notify.

    The recommendation (``check --recommend``) is part of the report before anything is written: report.json/md/html
    (and sweep.json/md/html) carry it, then the history row, then the webhook.

    Args:
        result: The judged run.
        out: Report directory, or None for no files.
        enforcement: What the registry did, or will do when the run commits (the ``registry`` section).
        approval: A person's answer to a ``needs_approval`` decision.
        recommendation: What the ``recommend`` step found after a block (None: nothing).

    Returns:
        What was written, recorded and sent.

    Raises:
        ConfigError: If the history database cannot be opened or written.
        OSError: If a report file cannot be written.
    """
    from gapgates.history import History, record_from_report
    from gapgates.notify import Notification, notify
    from gapgates.report.build import build_report, render_markdown, write_reports
    from gapgates.report.sweep import with_recommendations, write_sweep

    report, sweep = with_recommendations(build_report(result, enforcement=enforcement, approval=approval), recommendation)
    paths = write_reports(report, out) if out is not None else {}
    if sweep is not None and out is not None:
        write_sweep(sweep, out)
    written = Published(report=report, paths=paths, history_id=None, notification=Notification(False, None, "not sent"))
    try:
        path = result.prepared.config.history_path
        history_id = None if path is None else History(path).add(record_from_report(report))
        sent = notify(report["decision"], render_markdown(report), result.policy.notify)
    except BaseException:
        retract(written)  # the reports must not announce a promotion that will not happen
        raise
    return Published(report=report, paths=paths, history_id=history_id, notification=sent)


def retract(published: Published | None) -> None:
    """Rewrite published report files whose promotion was never committed (production did not move).

    The ``registry`` section then says the version was not promoted and production is what it
    was before the run; ``errors`` says why.
    """
    if published is None or not published.paths or not (published.report.get("registry") or {}).get("promoted"):
        return
    from gapgates.report.build import write_reports

    registry = {**published.report["registry"], "promoted": False}
    registry["production"] = registry.get("previous")
    errors = {
        **published.report.get("errors", {}),
        "promotion": f"Production was not switched to {registry['version']}: a step after publishing failed.",
    }
    write_reports({**published.report, "registry": registry, "errors": errors}, published.paths["json"].parent)
