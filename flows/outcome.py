"""The enforce step of the flow: promote or block, in the registry when one is configured.

The registry (``gapgates.registry``) is optional: without it, or without
``registry`` in the config, these tasks only record the outcome in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.tasks import IO_RETRIES
from gapgates.enforce import Enforcement, enforce, registry_metadata
from gapgates.runner import RunResult

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
def block(result: RunResult, *, actor: str = "gapgates", reasons: Sequence[str] = ()) -> dict[str, Any]:
    """Block the candidate: nothing is promoted; the registry's audit log records why.

    Returns:
        The ``outcome`` section of the report.
    """
    section: dict[str, Any] = {"outcome": "block", "actor": actor, "reasons": list(reasons), "registry": None}
    registry = _registry(result)
    if registry is None:
        return section
    action = "reject" if actor != "gapgates" else "block"
    version = None
    if result.model is not None:  # no model when the data-quality gate blocked before any fit
        version = registry.register(result.model, name=result.name, metadata=registry_metadata(result))
    registry.record(version, action, actor=actor, reasons=tuple(reasons))
    section["registry"] = Enforcement(version=version, promoted=False, production=registry.production).to_dict()
    return section
