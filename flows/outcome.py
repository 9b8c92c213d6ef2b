"""The enforce step of the flow: promote or block, in the registry when one is configured.

Both tasks write to the registry only through :func:`gapgates.enforce.enforce`. The registry
(``gapgates.registry``) is optional: without it, or without ``registry`` in the config, these
tasks only record the outcome in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gapgates.flows.approval import Verdict
from gapgates.flows.tasks import IO_RETRIES
from prefect import task
from prefect.cache_policies import NO_CACHE

from gapgates.enforcement import enforce
from gapgates.pipeline.run import RunResult

__all__ = ["block", "promote"]


def _registry(result: RunResult) -> Any | None:
    config = result.prepared.config
    if config.registry is None:
        return None
    from gapgates.registry import open_registry

    return open_registry(config.registry, model_name=config.model_name)


@task(name="promote", cache_policy=NO_CACHE, **IO_RETRIES)
def promote(result: RunResult, *, actor: str = "gapgates", reasons: Sequence[str] = ()) -> dict[str, Any]:
    """Promote the candidate (after ``promote`` or an approval) through :func:`gapgates.enforce.enforce`.

    Args:
        result: The run.
        actor: Who promotes: ``gapgates`` for an automatic promotion, else the approver of a
            ``needs_approval`` decision.
        reasons: Recorded in the audit log (the approver's reason).

    Returns:
        The ``outcome`` section of the report.

    Raises:
        PromotionBlocked: For a ``block`` decision (it cannot be approved); the registry is untouched.
    """
    section: dict[str, Any] = {"outcome": "promote", "actor": actor, "reasons": list(reasons), "registry": None}
    registry = _registry(result)
    if registry is None:
        return section
    want = result.prepared.config.promote
    if result.decision.allows_promotion:
        done = enforce(result, registry, promote=want, actor=actor)
    else:
        done = enforce(result, registry, promote=want, approved_by=actor, approval_reason="; ".join(reasons))
    section["registry"] = done.to_dict()
    return section


@task(name="block", cache_policy=NO_CACHE, **IO_RETRIES)
def block(result: RunResult, *, reasons: Sequence[str] = (), verdict: Verdict | None = None) -> dict[str, Any]:
    """Block the candidate through :func:`gapgates.enforce.enforce`: nothing is promoted; the audit log records why.

    Args:
        result: The run (a ``block`` decision, or a ``needs_approval`` one that was not approved).
        reasons: Why, for the report and the run's final state.
        verdict: The approval's answer when a person rejected the candidate or nobody answered in
            time: audited as ``needs_approval`` then ``reject`` by the verdict's actor (``gapgates``
            on timeout) with its reason.

    Returns:
        The ``outcome`` section of the report.
    """
    actor = "gapgates" if verdict is None else verdict.actor
    section: dict[str, Any] = {"outcome": "block", "actor": actor, "reasons": list(reasons), "registry": None}
    registry = _registry(result)
    if registry is None:
        return section
    if verdict is None:
        done = enforce(result, registry, promote=False)
    else:
        done = enforce(result, registry, promote=False, rejected_by=verdict.actor, approval_reason=verdict.reason)
    section["registry"] = done.to_dict()
    return section
