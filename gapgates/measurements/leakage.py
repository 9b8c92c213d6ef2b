"""Leakage (``evidence`` step, no fit of the model): holdout rows that copy training rows, and columns that reveal
the target on their own.

Rules ``leakage:duplicates`` (``[leakage] max_duplicate_rate``) and ``leakage:feature`` (``max_feature_score``);
diagnoses ``leakage`` first of all causes: held-out scores that are too optimistic to trust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import fmt
from gapgates.judge.checks import Measured, RuleSpec
from gapgates.measurements.base import Context, Diagnoser, Measurement, Section, breached, listed

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["LEAKAGE"]


def _compute(ctx: Context) -> Any:
    from gapgates.compute.leakage import find_leakage

    prep = ctx.prep
    holdout = None if prep.holdout is None else prep.holdout.X
    return find_leakage(prep.train.X, prep.train.y, holdout, classification=prep.classification, seed=prep.config.seed)


def _duplicates(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if leak.duplicate_rate is None:
        return "There is no holdout, so no copied rows to look for."
    return [Measured("leakage:duplicates", leak.duplicate_rate, "Share of holdout rows that copy a training row")]


def _leaking_feature(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if not leak.feature_scores:
        return "Leakage was not computed."
    name, score = leak.feature_scores[0]
    return [Measured("leakage:feature", score, f"Share of the target explained by column '{name}' alone")]


def _holds(ev: Evidence, decision: Decision) -> str | None:
    if not breached(decision, "leakage") or ev.leakage is None:
        return None
    lk, parts = ev.leakage, []
    if lk.duplicate_rate is not None and breached(decision, "leakage:duplicates"):
        parts.append(
            f"{lk.near_duplicates} of {lk.holdout_rows} holdout rows ({lk.duplicate_rate:.1%}) copy a "
            f"training row ({lk.exact_duplicates} exactly)"
        )
    if lk.feature_scores and breached(decision, "leakage:feature"):
        name, score = lk.feature_scores[0]
        parts.append(f"column '{name}' alone explains {score:.3f} of the target")
    return "; ".join(parts) + ", so held-out scores are too optimistic to trust."


def _advice(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    lk, out = ev.leakage, []
    if lk is None:
        return ()
    if breached(decision, "leakage:duplicates") and lk.duplicate_rate is not None:
        out.append(
            f"De-duplicate: {lk.near_duplicates} of {lk.holdout_rows} holdout rows copy a training row "
            f"(holdout rows {listed(lk.duplicate_rows)}; report.json leakage.duplicate_rows); drop them from the holdout "
            "and split by entity (--group) so every copy of an entity stays on one side."
        )
    if breached(decision, "leakage:feature") and lk.feature_scores:
        name, score = lk.feature_scores[0]
        out.append(
            f"Drop or rebuild column '{name}': alone it explains {score:.3f} of the target, so it is derived from "
            "the target or only known after it; rebuild it from what is known at prediction time."
        )
    return tuple(out)


LEAKAGE_LABEL = Diagnoser(
    label="leakage",
    order=10,
    holds=_holds,
    covers=("leakage",),
    advice=(
        "De-duplicate: drop holdout rows that copy training rows; split by entity (--group) so copies stay together.",
        "Drop or rebuild the leaking column: it is derived from the target or only known after it.",
    ),
    specific=_advice,
    only_specific=True,
)


def _summary(report: dict[str, Any]) -> list[str]:
    leak = report.get("leakage")
    if not leak:
        return []
    tops = [t for t in leak.get("top_features") or [] if isinstance(t, dict)]
    copies = (
        "no holdout"
        if leak.get("duplicate_rate") is None
        else f"{leak.get('exact_duplicates', '–')} holdout rows copy a training row exactly; "
        f"duplicate rate {fmt(leak['duplicate_rate'])}"
    )
    top = f"; top column {tops[0].get('feature')} ({fmt(tops[0].get('score'))})" if tops else ""
    return [f"- Leakage: {copies}{top}"]


LEAKAGE = Measurement(
    name="leakage",
    step="evidence",
    compute=_compute,
    failure="the leakage check failed",
    rules=(
        RuleSpec("leakage:duplicates", "leakage", "leakage.max_duplicate_rate", _duplicates, missing="Leakage was not computed."),
        RuleSpec(
            "leakage:feature", "leakage", "leakage.max_feature_score", _leaking_feature, missing="Leakage was not computed."
        ),
    ),
    diagnoses=(LEAKAGE_LABEL,),
    section=Section(
        keys=("leakage",),
        required=("leakage",),
        json=lambda ev: {"leakage": None if ev.leakage is None else ev.leakage.to_dict()},
        schema="leakage.json",
        summary=_summary,
        html="leakage.html.j2",
    ),
)
