"""After the decision: write the reports, record the run in the history, send the webhook.

This is what ``gapgates check`` (and any orchestration) calls once a run is
judged. Recording and notifying never change the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gapgates.notify import Notification
    from gapgates.pipeline.run import RunResult

__all__ = ["Published", "publish"]


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


def publish(result: RunResult, *, out: str | Path | None) -> Published:
    """Write the reports into ``out`` (if given), record the run, notify.

    Args:
        result: The judged run.
        out: Report directory, or None for no files.

    Returns:
        What was written, recorded and sent.

    Raises:
        ConfigError: If the history database cannot be opened or written.
    """
    from gapgates.history import History, record_from_report
    from gapgates.notify import notify
    from gapgates.report.build import build_report, render_markdown, write_reports

    paths = write_reports(result, out) if out is not None else {}
    report = build_report(result)
    path = result.prepared.config.history_path
    history_id = None if path is None else History(path).add(record_from_report(report))
    sent = notify(report["decision"], render_markdown(report), result.policy.notify)
    return Published(report=report, paths=paths, history_id=history_id, notification=sent)
