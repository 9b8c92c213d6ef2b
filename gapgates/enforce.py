"""The *enforce* step: register the candidate and act on the decision.

compute → judge → **enforce**: :func:`enforce` stores the run's final model as a
new registry version, then switches ``production`` to it only when the decision
is ``promote`` (or ``needs_approval`` with ``approved_by``, a person's approval)
and promotion was asked for; every other outcome is audited. A ``block`` can
never be approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapgates.checks import Outcome
from gapgates.errors import PromotionBlocked, RegistryError
from gapgates.registry.base import Registry
from gapgates.runner import RunResult

__all__ = ["Enforcement", "enforce"]


@dataclass(frozen=True)
class Enforcement:
    """What enforcement did.

    Attributes:
        version: The version the candidate was registered as (None when no model was fit).
        promoted: Whether production was switched to it.
        production: The production version afterwards (None when there is none).
    """

    version: str | None
    promoted: bool
    production: str | None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``registry`` section."""
        return {"version": self.version, "promoted": self.promoted, "production": self.production}


def registry_metadata(result: RunResult) -> dict[str, Any]:
    """What is recorded with a version: decision, gap summary, data fingerprint, policy hash."""
    from gapgates import __version__

    gap_result, held = result.evidence.gap, result.evidence.holdout
    return {
        "decision": result.decision.outcome.value,
        "reasons": result.decision.reasons,
        "primary_metric": result.prepared.metrics[0],
        "gap": {} if gap_result is None else {
            m: {k: v for k, v in g.to_dict().items() if k != "folds"} for m, g in gap_result.metrics.items()
        },
        "holdout": None if held is None else held.to_dict(),
        "data_fingerprint": result.prepared.fingerprint,
        "policy_hash": result.policy_hash,
        "model_spec": result.prepared.config.model,
        "params": result.prepared.config.params,
        "run_created": result.created,
        "gapgates_version": __version__,
    }


def enforce(
    result: RunResult,
    registry: Registry,
    *,
    promote: bool,
    actor: str = "gapgates",
    raise_on_block: bool = False,
    approved_by: str | None = None,
    approval_reason: str = "",
) -> Enforcement:
    """Register the run's final model; switch production to it only if the decision is ``promote``
    (or ``needs_approval`` approved by a person).

    Every outcome is audited: ``promote`` (the switch), ``block`` / ``needs_approval`` (with the
    failing checks as reasons), or ``register`` when the gate passed but ``promote`` was False.
    An approved ``needs_approval`` is audited as ``needs_approval`` (by ``actor``), then
    ``approve`` and, with ``promote``, ``promote`` (both by the approver).

    Args:
        result: A finished gate run whose ``model`` was fit (``run_check`` fits it when
            ``config.registry`` or a holdout is set).
        registry: Where to register.
        promote: Whether a passing (or approved) candidate may become production.
        actor: Who acts, for the audit log.
        raise_on_block: Raise :class:`PromotionBlocked` (after auditing) when the decision is not
            promote and was not approved.
        approved_by: The person who approved a ``needs_approval`` decision, or None. Ignored when the
            decision is ``promote`` (nothing to approve).
        approval_reason: The approver's reason, for the audit log.

    Returns:
        The version, whether it was promoted, and production afterwards.

    Raises:
        RegistryError: When the run has no final model or the registry refuses it.
        PromotionBlocked: With ``raise_on_block`` and a decision other than promote (not approved);
            and always when ``approved_by`` is given for a ``block`` decision: a block cannot be
            approved, so the registry is left untouched (nothing registered, nothing audited).

    Example:
        >>> done = enforce(run_check(config), LocalRegistry("registry"), promote=True)  # doctest: +SKIP
        >>> done.promoted, done.production  # doctest: +SKIP
        (True, 'v1')
        >>> enforce(result, registry, promote=True, approved_by="alice", approval_reason="known shift")  # doctest: +SKIP
        Enforcement(version='v2', promoted=True, production='v2')
    """
    from gapgates.report import build_report

    decision = result.decision
    approved = approved_by is not None and decision.outcome is Outcome.NEEDS_APPROVAL
    if approved_by is not None and decision.outcome is Outcome.BLOCK:
        raise PromotionBlocked(decision)  # before any write: an approval never overrides a block
    if result.model is None:
        if decision.allows_promotion or approved:
            raise RegistryError(
                "The run has no final model to register. Set 'registry' in the check config so run_check fits it."
            )
        # blocked before any model was fit (e.g. by the data-quality gate): audit it, register nothing
        registry.record(None, decision.outcome.value, actor=actor, reasons=decision.reasons)
        if raise_on_block:
            raise PromotionBlocked(decision)
        return Enforcement(version=None, promoted=False, production=registry.production)
    version = registry.register(result.model, name=result.name, metadata=registry_metadata(result),
                                report=build_report(result))
    if approved:
        registry.record(version, decision.outcome.value, actor=actor, reasons=decision.reasons)
        reasons = [approval_reason or "approved"]
        registry.record(version, "approve", actor=approved_by, reasons=reasons)
        if promote:
            registry.promote(version, actor=approved_by, reasons=reasons)
        return Enforcement(version=version, promoted=promote, production=registry.production)
    promoted = decision.allows_promotion and promote
    if promoted:
        registry.promote(version, actor=actor, reasons=decision.reasons or ["every check passed"])
    else:
        action = "register" if decision.allows_promotion else decision.outcome.value
        registry.record(version, action, actor=actor, reasons=decision.reasons)
    if raise_on_block and not decision.allows_promotion:
        raise PromotionBlocked(decision)
    return Enforcement(version=version, promoted=promoted, production=registry.production)
