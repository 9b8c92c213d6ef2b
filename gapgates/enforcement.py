"""The *enforce* step: register the candidate and act on the decision.

compute → judge → **enforce**: :func:`enforce` stores the run's final model as a
new registry version, then switches ``production`` to it only when the decision
is ``promote`` (or ``needs_approval`` with ``approved_by``, a person's approval)
and promotion was asked for; every other outcome is audited. A ``block`` can
never be approved; a candidate someone rejected (``rejected_by``) is never promoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapgates.errors import ConfigError, PromotionBlocked, RegistryError
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.pipeline.run import RunResult
from gapgates.registry.base import Registry

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


def _rejection(decision: Decision, who: str, reason: str) -> Decision:
    """The decision a rejection leaves: a block, with the rejection as its first failed check."""
    check = Check("approval", Status.FAIL, None, None, f"Rejected by {who}: {reason}.")
    return Decision(Outcome.BLOCK, (check, *decision.checks))


def enforce(
    result: RunResult,
    registry: Registry,
    *,
    promote: bool,
    actor: str = "gapgates",
    raise_on_block: bool = False,
    approved_by: str | None = None,
    rejected_by: str | None = None,
    approval_reason: str = "",
) -> Enforcement:
    """Register the run's final model; switch production to it only if the decision is ``promote``
    (or ``needs_approval`` approved by a person) and nobody rejected it.

    Every outcome is audited: ``promote`` (the switch), ``block`` / ``needs_approval`` (with the
    failing checks as reasons), or ``register`` when the gate passed but ``promote`` was False.
    An approved ``needs_approval`` is audited as ``needs_approval`` (by ``actor``), then
    ``approve`` and, with ``promote``, ``promote`` (both by the approver). A rejection is audited
    as the gate's own line (``needs_approval``, ``block``, or ``register`` for a passing decision),
    by ``actor``, then ``reject`` by the rejecter; the candidate is registered with its report but
    never promoted, whatever the decision and ``promote`` say (a rejection always wins).

    Args:
        result: A finished gate run whose ``model`` was fit (``run_check`` fits it when
            ``config.registry`` or a holdout is set).
        registry: Where to register.
        promote: Whether a passing (or approved) candidate may become production.
        actor: Who acts, for the audit log.
        raise_on_block: Raise :class:`PromotionBlocked` (after auditing) when the decision is not
            promote and was not approved, or when the candidate was rejected.
        approved_by: The person who approved a ``needs_approval`` decision, or None. Ignored when the
            decision is ``promote`` (nothing to approve).
        rejected_by: Who rejected the candidate, or None: a person answering the approval form, or
            ``gapgates`` when nobody answered in time (give the timeout as ``approval_reason``).
        approval_reason: The approver's or rejecter's reason, for the audit log (default
            ``approved`` / ``rejected``).

    Returns:
        The version, whether it was promoted, and production afterwards.

    Raises:
        ConfigError: When both ``approved_by`` and ``rejected_by`` are given (nothing is written).
        RegistryError: When the run has no final model or the registry refuses it.
        PromotionBlocked: With ``raise_on_block`` and a decision other than promote (not approved),
            or a rejection (its decision is then a ``block`` whose first failed check is the
            rejection); and always when ``approved_by`` is given for a ``block`` decision: a block
            cannot be approved, so the registry is left untouched (nothing registered, nothing audited).

    Example:
        >>> done = enforce(run_check(config), LocalRegistry("registry"), promote=True)  # doctest: +SKIP
        >>> done.promoted, done.production  # doctest: +SKIP
        (True, 'v1')
        >>> enforce(result, registry, promote=True, approved_by="alice", approval_reason="known shift")  # doctest: +SKIP
        Enforcement(version='v2', promoted=True, production='v2')
        >>> enforce(result, registry, promote=True, rejected_by="bob", approval_reason="too risky")  # doctest: +SKIP
        Enforcement(version='v3', promoted=False, production='v2')
    """
    from gapgates.report.build import build_report

    decision = result.decision
    if approved_by is not None and rejected_by is not None:
        raise ConfigError(
            f"Give either 'approved_by' or 'rejected_by', not both. Got approved_by={approved_by!r} "
            f"and rejected_by={rejected_by!r}."
        )
    approved = approved_by is not None and decision.outcome is Outcome.NEEDS_APPROVAL
    if approved_by is not None and decision.outcome is Outcome.BLOCK:
        raise PromotionBlocked(decision)  # before any write: an approval never overrides a block
    if result.model is None and (decision.allows_promotion or approved):
        raise RegistryError(
            "The run has no final model to register. Set 'registry' in the check config so run_check fits it."
        )
    version = None  # no model when blocked before any fit (e.g. by the data-quality gate): audit, register nothing
    if result.model is not None:
        version = registry.register(result.model, name=result.name, metadata=registry_metadata(result),
                                    report=build_report(result))
    if approved:
        registry.record(version, decision.outcome.value, actor=actor, reasons=decision.reasons)
        reasons = [approval_reason or "approved"]
        registry.record(version, "approve", actor=approved_by, reasons=reasons)
        if promote:
            registry.promote(version, actor=approved_by, reasons=reasons)
        return Enforcement(version=version, promoted=promote, production=registry.production)
    promoted = decision.allows_promotion and promote and rejected_by is None
    if promoted:
        registry.promote(version, actor=actor, reasons=decision.reasons or ["every check passed"])
    else:
        action = "register" if decision.allows_promotion else decision.outcome.value
        registry.record(version, action, actor=actor, reasons=decision.reasons)
    if rejected_by is not None:
        reason = approval_reason or "rejected"
        registry.record(version, "reject", actor=rejected_by, reasons=[reason])
        if raise_on_block:
            raise PromotionBlocked(_rejection(decision, rejected_by, reason))
    if raise_on_block and not decision.allows_promotion:
        raise PromotionBlocked(decision)
    return Enforcement(version=version, promoted=promoted, production=registry.production)
