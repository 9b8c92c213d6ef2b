"""After the decision: write the reports, record the run in the history; after the switch: the outcome, the webhook.

Publishing comes before the production switch (see :mod:`gapgates.gate`): when it fails, production has not
moved. A run that will move production is published as ``pending`` (its reports and history row say it is not
promoted yet); :func:`record` rewrites them with the outcome once production moved (or the switch was refused),
and only then sends the webhook, which tells the outcome. A kill between the switch and :func:`record` leaves
them pending, which readers settle from the registry (:mod:`gapgates.registry.outcomes`). Recording and
notifying never change the decision; a webhook that fails is logged, never raised.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapgates.errors import GapGatesError, StorageError

if TYPE_CHECKING:
    from gapgates.enforcement import Approval, Enforcement
    from gapgates.notify import Notification
    from gapgates.pipeline.steps import RunResult
    from gapgates.pipeline.sweep import Recommendation

__all__ = ["Published", "publish", "record", "retract"]

#: Why a pending promotion was withdrawn: a step between publishing and the switch failed.
WITHDRAWN = "Production was not switched to {version}: a step after publishing failed."


@dataclass(frozen=True)
class Published:
    """What :func:`publish` (then :func:`record`) did.

    Attributes:
        report: The ``report.json`` mapping.
        paths: ``{"json", "markdown", "html"}`` paths (empty when no report directory was given).
        history_id: The run's id in the history database (None without a history).
        notification: What happened to the webhook (sent by :func:`record`, after the switch).
        history: The history database the run was recorded in (None without one).
    """

    report: dict[str, Any]
    paths: dict[str, Path]
    history_id: int | None
    notification: Notification
    history: Path | None = None


def publish(
    result: RunResult,
    *,
    out: str | Path | None,
    enforcement: Enforcement | None = None,
    approval: Approval | None = None,
    recommendation: Recommendation | None = None,
) -> Published:
    """Write the reports into ``out`` (if given) and record the run in its history, before any production switch.

    The recommendation (``check --recommend``) is part of the report before anything is written: report.json/md/html
    (and sweep.json/md/html) carry it, then the history row. The webhook waits for :func:`record`.

    Args:
        result: The judged run.
        out: Report directory, or None for no files.
        enforcement: What the registry did, or the plan before the switch (outcome ``pending``: not promoted yet).
        approval: A person's answer to a ``needs_approval`` decision.
        recommendation: What the ``recommend`` step found after a block (None: nothing).

    Returns:
        What was written and recorded.

    Raises:
        ConfigError: If the history database cannot be opened or written.
        StorageError: If a report file cannot be written.
    """
    from gapgates.history import History, record_from_report
    from gapgates.notify import Notification
    from gapgates.report.build import build_report, write_reports
    from gapgates.report.sweep import with_recommendations, write_sweep

    report, sweep = with_recommendations(build_report(result, enforcement=enforcement, approval=approval), recommendation)
    paths = write_reports(report, out) if out is not None else {}
    if sweep is not None and out is not None:
        write_sweep(sweep, out)
    history = result.prepared.config.history_path
    written = Published(report, paths, None, Notification(False, None, "not sent yet"), history)
    try:
        history_id = None if history is None else History(history).add(record_from_report(report))
    except BaseException:
        retract(written)  # the reports must not stay pending for a promotion that will not happen
        raise
    return dataclasses.replace(written, history_id=history_id)


def record(
    result: RunResult,
    published: Published,
    committed: Enforcement | None,
    *,
    approval: Approval | None = None,
    recommendation: Recommendation | None = None,
) -> Published:
    """Record what the switch did, then send the webhook: the last act of a run.

    When the outcome differs from what was published (``pending`` became ``promoted`` or ``refused``), the reports
    are rewritten as one set and the history row is settled in one transaction; a refused promotion is a ``block``
    with the failed check ``production_moved`` (:func:`gapgates.enforcement.refusal`). Then the webhook tells the
    outcome.

    Args:
        result: The judged run.
        published: What :func:`publish` wrote.
        committed: What :func:`gapgates.enforcement.commit` did (None without a registry).
        approval: A person's answer to a ``needs_approval`` decision.
        recommendation: What the ``recommend`` step found after a block.

    Returns:
        What was written, recorded and sent.

    Raises:
        StorageError: When the outcome cannot be written; after a switch, the message says production moved (the
            reports and the history still say pending, which readers settle from the registry).
    """
    from gapgates.enforcement import refusal
    from gapgates.history import History
    from gapgates.notify import notify
    from gapgates.report.build import build_report, render_markdown, write_reports
    from gapgates.report.sweep import with_recommendations

    report = published.report
    if committed is not None and committed.to_dict() != report.get("registry"):
        decided = result
        if committed.outcome == "refused":
            decided = dataclasses.replace(result, decision=refusal(result.decision, committed.reason or "production moved"))
        report = with_recommendations(build_report(decided, enforcement=committed, approval=approval), recommendation)[0]
        try:
            if published.paths:
                write_reports(report, published.paths["json"].parent)
            if published.history is not None and published.history_id is not None and committed.outcome is not None:
                changed = report["decision"] if report["decision"] != published.report["decision"] else None
                History(published.history).settle(published.history_id, outcome=committed.outcome, decision=changed)
        except (GapGatesError, OSError) as err:
            if not committed.promoted:
                raise
            raise StorageError(
                f"Production was switched to {committed.version}, but the outcome could not be recorded: {err} The "
                "reports and the history say 'pending'; 'gapgates history' and 'gapgates report --from' settle it from "
                "the registry."
            ) from None
    try:
        sent = notify(report["decision"], render_markdown(report), result.policy.notify)
    except Exception as err:  # after the switch: a failing notification must not make a promotion look failed
        from gapgates.notify import Notification, log

        sent = Notification(False, None, f"the notification failed: {type(err).__name__}: {err}")
        log.warning("Notification not sent (%s); the decision '%s' stands.", sent.detail, report["decision"])
    return dataclasses.replace(published, report=report, notification=sent)


def retract(published: Published | None) -> None:
    """Rewrite a published ``pending`` promotion that was never committed (production did not move): the reports
    say the version was withdrawn and production is what it was before the run; the history row is settled as
    ``withdrawn``. Nothing changes unless the registry shows no switch to the version (when it shows the switch, a
    step after it failed; when it cannot be read, ``pending`` stays the truth).

    Best effort: what cannot be rewritten stays ``pending``, which readers settle from the registry.
    """
    if published is None:
        return
    section = published.report.get("registry") or {}
    if section.get("outcome") != "pending":
        return
    from gapgates.history import History
    from gapgates.registry.outcomes import settle_outcome
    from gapgates.report.build import write_reports

    location, version = section.get("location"), section.get("version")
    if isinstance(location, str) and isinstance(version, str):
        model = str((published.report.get("model") or {}).get("name"))
        if settle_outcome(location, model=model, alias=section.get("alias"), version=version) != "unfinished":
            return  # production moved (a step after the switch failed), or the registry cannot tell: pending is true
    reason = WITHDRAWN.format(version=version)
    registry = {**section, "promoted": False, "production": section.get("previous"), "outcome": "withdrawn", "reason": reason}
    errors = {**published.report.get("errors", {}), "promotion": reason}
    try:
        if published.paths:
            write_reports({**published.report, "registry": registry, "errors": errors}, published.paths["json"].parent)
        if published.history is not None and published.history_id is not None:
            History(published.history).settle(published.history_id, outcome="withdrawn")
    except (GapGatesError, OSError):  # pending is the truth too: a reader settles it from the registry
        pass
