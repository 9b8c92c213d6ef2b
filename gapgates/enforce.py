"""The *enforce* step: register the candidate and act on the decision.

compute → judge → **enforce**: :func:`enforce` stores the run's final model as a
new registry version, then switches ``production`` to it only when the decision
is ``promote`` and promotion was asked for; every other outcome is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
) -> Enforcement:
    """Register the run's final model; switch production to it only if the decision is ``promote``.

    Every outcome is audited: ``promote`` (the switch), ``block`` / ``needs_approval`` (with the
    failing checks as reasons), or ``register`` when the gate passed but ``promote`` was False.

    Args:
        result: A finished gate run whose ``model`` was fit (``run_check`` fits it when
            ``config.registry`` or a holdout is set).
        registry: Where to register.
        promote: Whether a passing candidate may become production.
        actor: Who acts, for the audit log.
        raise_on_block: Raise :class:`PromotionBlocked` (after auditing) when the decision is not promote.

    Returns:
        The version, whether it was promoted, and production afterwards.

    Raises:
        RegistryError: When the run has no final model or the registry refuses it.
        PromotionBlocked: With ``raise_on_block`` and a decision other than promote.

    Example:
        >>> done = enforce(run_check(config), LocalRegistry("registry"), promote=True)  # doctest: +SKIP
        >>> done.promoted, done.production  # doctest: +SKIP
        (True, 'v1')
    """
    from gapgates.report import build_report

    decision = result.decision
    if result.model is None:
        if decision.allows_promotion:
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
    promoted = decision.allows_promotion and promote
    if promoted:
        registry.promote(version, actor=actor, reasons=decision.reasons or ["every check passed"])
    else:
        action = "register" if decision.allows_promotion else decision.outcome.value
        registry.record(version, action, actor=actor, reasons=decision.reasons)
    if raise_on_block and not decision.allows_promotion:
        raise PromotionBlocked(decision)
    return Enforcement(version=version, promoted=promoted, production=registry.production)
