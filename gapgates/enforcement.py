"""The *enforce* step: register the candidate, then move production — the last act of a run.

compute → judge → **enforce**, in two phases so that nothing moves production before the
run's report and history are durable:

1. :func:`stage` registers the run's final model as a new version and audits the decision; it
   never moves production. It returns a :class:`Staged` plan: what :func:`commit` will do, and
   the production version the candidate was compared with (the champion it was scored against).
2. :func:`commit` switches production to the staged version (when the plan says so), only over
   the version the candidate was compared with: under the registry's lock, a production that
   moved since the comparison refuses the switch (audited as ``block``, outcome ``refused``). It
   is the last act of a run (see :mod:`gapgates.gate`); :func:`withdraw` audits a staged
   promotion that was never committed because a step in between failed.

:func:`enforce` is both phases at once, for callers that publish nothing in between. A ``block``
can never be approved; a candidate someone rejected is never promoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gapgates.errors import ConfigError, ProductionMoved, PromotionBlocked, RegistryError
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.pipeline.steps import RunResult

if TYPE_CHECKING:  # a run without --registry never imports the registry code
    from gapgates.registry.base import Registry

__all__ = [
    "MAX_REASON_CHARS",
    "Approval",
    "Enforcement",
    "Staged",
    "commit",
    "enforce",
    "refusal",
    "registry_metadata",
    "stage",
    "withdraw",
]


#: Longest approver's reason recorded (in the audit log, the reports, the history and the Prefect run's input).
MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class Approval:
    """A person's answer to a ``needs_approval`` decision, or the lack of one.

    Attributes:
        approved: Whether the model may be promoted.
        actor: The approver, or ``gapgates`` when nobody answered in time.
        reason: The approver's reason, or why the run was blocked.
        timed_out: True when nobody answered within the policy's timeout.
    """

    approved: bool
    actor: str
    reason: str
    timed_out: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``approval`` section."""
        return {"approved": self.approved, "actor": self.actor, "reason": self.reason, "timed_out": self.timed_out}


@dataclass(frozen=True)
class Enforcement:
    """What enforcement did (or, staged and not yet committed, is about to do: the outcome ``pending``).

    Attributes:
        version: The version the candidate was registered as (None when no model was fit).
        promoted: Whether production was switched to it (never True before the switch).
        production: The production version afterwards (None when there is none); while pending, the one before.
        previous: The production version before this run (the one the candidate was compared with).
        outcome: ``pending`` (written before the switch), ``promoted``, ``refused`` (production moved since the
            comparison), ``withdrawn`` (a step before the switch failed), ``registered`` (passed, not asked to
            promote) or ``blocked`` (:data:`gapgates.history.OUTCOMES`).
        reason: Why a planned promotion did not happen (refused, withdrawn), else None.
        location: The registry's location, for a reader to settle a pending outcome (None when unknown).
        alias: The registry's production alias (an MLflow registry), else None.
    """

    version: str | None
    promoted: bool
    production: str | None
    previous: str | None = None
    outcome: str | None = None
    reason: str | None = None
    location: str | None = None
    alias: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``registry`` section."""
        return {
            "version": self.version,
            "promoted": self.promoted,
            "production": self.production,
            "previous": self.previous,
            "outcome": self.outcome,
            "reason": self.reason,
            "location": self.location,
            "alias": self.alias,
        }


@dataclass(frozen=True, eq=False)
class Staged:
    """A registered candidate and what :func:`commit` will do with it.

    Attributes:
        registry: The registry it was registered in.
        version: Its version (None when no model was fit: nothing registered).
        promote: Whether :func:`commit` switches production to it.
        actor: Who promotes (``gapgates``, or the approver).
        reasons: Recorded with the promotion.
        previous: The production version the candidate was compared with (the champion it was scored against; without
            a comparison, production when it was staged): :func:`commit` switches only over it.
        blocked: The decision to raise as :class:`PromotionBlocked` after auditing, or None.
    """

    registry: Registry
    version: str | None
    promote: bool
    actor: str
    reasons: tuple[str, ...]
    previous: str | None
    blocked: Decision | None = None

    def enforcement(self, outcome: str, *, production: str | None, reason: str | None = None) -> Enforcement:
        """What this plan came to: ``outcome``, and ``production`` afterwards (the candidate when promoted)."""
        promoted = outcome == "promoted"
        return Enforcement(
            version=self.version,
            promoted=promoted,
            production=production,
            previous=self.previous,
            outcome=outcome,
            reason=reason,
            location=self.registry.location,
            alias=self.registry.alias,
        )

    @property
    def planned(self) -> Enforcement:
        """What the run publishes before the switch: ``pending`` when it will promote (not promoted until
        :func:`commit` switched), else ``registered`` or ``blocked``."""
        if self.promote and self.version is not None:
            return self.enforcement("pending", production=self.previous)  # not promoted until it is
        outcome = "blocked" if self.blocked is not None or self.version is None else "registered"
        return self.enforcement(outcome, production=self.registry.production)


def registry_metadata(result: RunResult) -> dict[str, Any]:
    """What is recorded with a version: decision, gap summary, data fingerprint, policy hash, the
    cross-validation (folds, repeats, seed), the noise rate and the model that measured it (``estimator``), the shift
    AUC and the diagnosis."""
    from gapgates import __version__
    from gapgates.history import estimator_of

    ev, config = result.evidence, result.prepared.config
    gap_result, held = ev.gap, ev.holdout
    return {
        "folds": config.folds,
        "repeats": config.repeats,
        "seed": config.seed,
        "noise_rate": None if ev.noise is None else ev.noise.rate,
        "shift_auc": None if ev.shift is None else ev.shift.auc,
        "diagnosis": None if result.diagnosis is None else result.diagnosis.label,
        "decision": result.decision.outcome.value,
        "reasons": result.decision.reasons,
        "primary_metric": result.prepared.metrics[0],
        "gap": {}
        if gap_result is None
        else {m: {k: v for k, v in g.to_dict().items() if k != "folds"} for m, g in gap_result.metrics.items()},
        "holdout": None if held is None else held.to_dict(),
        "strong_baseline": _strong_baseline(ev),
        "data_fingerprint": result.prepared.fingerprint,
        "policy_hash": result.policy_hash,
        "model_spec": config.model,
        "params": config.params,
        "estimator": estimator_of(config),
        "run_created": result.created,
        "gapgates_version": __version__,
    }


def _strong_baseline(ev: Any) -> dict[str, Any] | None:
    """The strong baseline's name and its mean train, test and gap per metric (the MLflow run's ``baseline.*``)."""
    strong = ev.strong_baseline
    if strong is None:
        return None
    best = strong.best_reference
    metrics = {
        m: {"train": best.train_mean(m), "test": best.test_mean(m), "gap": best.train_mean(m) - best.test_mean(m)}
        for m in best.test
    }
    return {"best": strong.best, "metrics": metrics}


def _rejection(decision: Decision, who: str, reason: str) -> Decision:
    """The decision a rejection leaves: a block, with the rejection as its first failed check."""
    check = Check("approval", Status.FAIL, None, None, f"Rejected by {who}: {reason}.")
    return Decision(Outcome.BLOCK, (check, *decision.checks))


def refusal(decision: Decision, reason: str) -> Decision:
    """The decision a refused promotion leaves (production moved after the comparison): a block, with the check
    ``production_moved`` first, failed, saying why."""
    return Decision(Outcome.BLOCK, (Check("production_moved", Status.FAIL, None, None, reason), *decision.checks))


def _compared_with(result: RunResult, registry: Registry) -> str | None:
    """The production version the candidate was compared with: the champion it was scored against when that was this
    registry's production; else (a run judged against no registry, or another one) production now."""
    from gapgates.registry import locate

    champion = getattr(result.evidence, "champion", None)
    judged = result.prepared.config.registry
    if champion is not None and judged is not None and registry.location is not None and locate(judged) == registry.location:
        return None if champion.version is None else str(champion.version)
    return registry.production


def stage(
    result: RunResult,
    registry: Registry,
    *,
    promote: bool,
    actor: str = "gapgates",
    approved_by: str | None = None,
    rejected_by: str | None = None,
    approval_reason: str = "",
) -> Staged:
    """Register the run's final model and audit the decision; production does not move.

    The version holds the model, the report, and a bounded seeded sample of the training rows
    (``training_sample.csv``, :mod:`gapgates.registry.sample`) that ``gapgates monitor`` measures drift against, and
    the out-of-fold outputs of the gate's cross-validation (``estimate_reference.csv``,
    :mod:`gapgates.compute.estimate`) it estimates the production score from when the fresh rows have no labels.

    Audit lines: ``block`` / ``needs_approval`` (with the failing checks as reasons), or
    ``register`` when the gate passed but ``promote`` is False. An approved ``needs_approval``
    is audited as ``needs_approval`` (by ``actor``) then ``approve`` (by the approver). A
    rejection is audited as the gate's own line, then ``reject`` by the rejecter. A promotion
    itself is audited by :func:`commit`, when production moves.

    Args:
        result: A judged run whose ``model`` was fit (``run_check`` fits it when ``config.registry``
            or a holdout is set).
        registry: Where to register.
        promote: Whether a passing (or approved) candidate may become production.
        actor: Who acts, for the audit log.
        approved_by: The person who approved a ``needs_approval`` decision, or None.
        rejected_by: Who rejected the candidate (a person, or ``gapgates`` on an approval timeout).
        approval_reason: The approver's or rejecter's reason.

    Returns:
        The plan for :func:`commit`.

    Raises:
        ConfigError: When both ``approved_by`` and ``rejected_by`` are given (nothing is written).
        PromotionBlocked: When ``approved_by`` is given for a ``block`` decision (nothing is written).
        RegistryError: When a passing run has no final model, or the registry refuses it.
    """
    from gapgates.compute.estimate import REFERENCE_FILE, estimate_reference
    from gapgates.registry.sample import SAMPLE_FILE, training_sample
    from gapgates.report.build import build_report, report_documents

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
        raise RegistryError("The run has no final model to register. Set 'registry' in the check config so run_check fits it.")
    version = None  # no model when blocked before any fit (e.g. by the data-quality gate): audit, register nothing
    if result.model is not None:
        report = build_report(result)
        train = result.prepared.train  # a bounded sample of it is what `gapgates monitor` measures drift against
        sample, text = training_sample(train.X, train.y, target=train.target, seed=result.prepared.config.seed)
        metadata = {**registry_metadata(result), "training_sample": sample.metadata()}
        documents = {**report_documents(report), SAMPLE_FILE: text}
        gap = result.evidence.gap  # its out-of-fold outputs: what `gapgates monitor` estimates from without labels
        stored = (
            None
            if gap is None
            else estimate_reference(
                gap.cv, train.X, train.y, target=train.target, classification=gap.classification, seed=result.prepared.config.seed
            )
        )
        if stored is not None:
            metadata["estimate_reference"] = stored[0].metadata()
            documents[REFERENCE_FILE] = stored[1]
        version = registry.register(result.model, name=result.name, metadata=metadata, report=report, documents=documents)
    previous = _compared_with(result, registry)  # read after registering: an MLflow store learns the name then
    if approved:
        reasons = (approval_reason or "approved",)
        registry.record(version, decision.outcome.value, actor=actor, reasons=decision.reasons)
        registry.record(version, "approve", actor=approved_by or actor, reasons=reasons)
        return Staged(registry, version, promote, approved_by or actor, reasons, previous)
    promoting = decision.allows_promotion and promote and rejected_by is None
    if not promoting:
        action = "register" if decision.allows_promotion else decision.outcome.value
        registry.record(version, action, actor=actor, reasons=decision.reasons)
    blocked = None if decision.allows_promotion else decision
    if rejected_by is not None:
        reason = approval_reason or "rejected"
        registry.record(version, "reject", actor=rejected_by, reasons=[reason])
        blocked = _rejection(decision, rejected_by, reason)
    return Staged(registry, version, promoting, actor, tuple(decision.reasons or ["every check passed"]), previous, blocked)


def commit(staged: Staged) -> Enforcement:
    """Switch production to the staged version when the plan says so (audited as ``promote``), only over the version
    the candidate was compared with (:attr:`Staged.previous`, checked under the registry's lock).

    Returns:
        What happened: ``promoted``; ``refused`` when production moved since the comparison (audited as ``block``
        with the reason; production unchanged); or the plan's own outcome when it promotes nothing.

    Raises:
        RegistryError: When the registry refuses the switch otherwise (production is unchanged).
    """
    if not (staged.promote and staged.version is not None):
        return staged.planned
    try:
        staged.registry.promote(staged.version, actor=staged.actor, reasons=staged.reasons, expected=staged.previous)
    except ProductionMoved as moved:
        staged.registry.record(staged.version, "block", actor="gapgates", reasons=[str(moved)])
        return staged.enforcement("refused", reason=str(moved), production=moved.found)
    return staged.enforcement("promoted", production=staged.version)


def withdraw(staged: Staged | None) -> None:
    """Audit a staged promotion that was never committed (a later step failed); production is unchanged.

    Nothing is audited when the switch did happen (a step after it failed): the registry's audit log is the truth.
    """
    if staged is None or not staged.promote or staged.version is None:
        return
    try:
        if staged.registry.switched(staged.version):
            return
    except RegistryError:  # an unreadable audit log: record() below says what is wrong
        pass
    staged.registry.record(
        staged.version, "withdraw", actor="gapgates", reasons=["not promoted: a step before the production switch failed"]
    )


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
    (or ``needs_approval`` approved by a person) and nobody rejected it: :func:`stage` then :func:`commit`.
    The switch replaces only the production the run compared its candidate with (its champion, when the run was
    judged against this registry); otherwise the outcome is ``refused``.

    Args:
        result: A judged run (see :func:`stage`).
        registry: Where to register.
        promote: Whether a passing (or approved) candidate may become production.
        actor: Who acts, for the audit log.
        raise_on_block: Raise :class:`PromotionBlocked` (after auditing) when the decision is not
            promote and was not approved, or when the candidate was rejected.
        approved_by: The person who approved a ``needs_approval`` decision, or None.
        rejected_by: Who rejected the candidate, or None.
        approval_reason: The approver's or rejecter's reason.

    Returns:
        The version, whether it was promoted, and production afterwards.

    Raises:
        ConfigError: When both ``approved_by`` and ``rejected_by`` are given (nothing is written).
        RegistryError: When the run has no final model or the registry refuses it.
        PromotionBlocked: With ``raise_on_block`` and a decision other than promote (not approved),
            a rejection, or a refused switch (the check ``production_moved``); and always when ``approved_by`` is
            given for a ``block`` decision.

    Example:
        >>> done = enforce(run_check(config), LocalRegistry("registry"), promote=True)  # doctest: +SKIP
        >>> done.promoted, done.production  # doctest: +SKIP
        (True, 'v1')
    """
    staged = stage(
        result,
        registry,
        promote=promote,
        actor=actor,
        approved_by=approved_by,
        rejected_by=rejected_by,
        approval_reason=approval_reason,
    )
    done = commit(staged)
    approved = approved_by is not None and result.decision.outcome is Outcome.NEEDS_APPROVAL
    if raise_on_block and staged.blocked is not None and not approved:
        raise PromotionBlocked(staged.blocked)
    if raise_on_block and done.outcome == "refused":
        raise PromotionBlocked(refusal(result.decision, done.reason or "production moved"))
    return done
