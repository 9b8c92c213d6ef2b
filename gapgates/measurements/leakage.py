"""Leakage (``evidence`` step): what makes held-out scores too optimistic to trust.

* Holdout rows that copy training rows more often than training rows copy each other (``leakage:duplicates``,
  ``[leakage] max_duplicate_rate``): a table that naturally repeats rows is not a leak.
* Columns that give the target away: alone they explain it (``leakage:feature``, ``max_feature_score``); they copy
  it (``leakage:label_copy``: Cohen's κ of a column holding the label's values, ``max_label_kappa``;
  ``leakage:target_correlation``: |Pearson r| of a numeric column, ``max_target_correlation``); or alone they come
  within reach of the whole model and carry it (``leakage:proxy``: the model's score with minus without the
  column, refit on the same folds: the share of the error the other columns leave that it removes alone,
  ``max_proxy_closure``).
* Training rows repeated on both sides of a fold, exact or near copies or an undeclared grouping
  (``leakage:repeated_rows``, ``max_repeated_share``, a warning; ``leakage:optimism``, ``max_optimism``): the
  model is refit on the same folds with every cluster of copies kept in one fold, and the optimism is the
  reported minus that honest score.

Diagnoses ``leakage`` first of all causes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gapgates.format import fmt
from gapgates.judge.checks import Measured, RuleSpec
from gapgates.measurements.base import Context, Diagnoser, Measurement, Section, breached, listed

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["LEAKAGE"]


def _compute(ctx: Context) -> Any:
    """The cheap checks (no fit), then the refits the cross-validation pass calls for: the suspect columns alone and
    the model without them, and the model with every cluster of copied rows kept in one fold."""
    from dataclasses import replace

    from gapgates.compute.leakage import PROXY_SUSPECTS, find_leakage, first_repeat, repeated_rows, target_proxies
    from gapgates.data.guard import guarded

    prep = ctx.prep
    X, y = prep.train.X, prep.train.y
    holdout = None if prep.holdout is None else prep.holdout.X
    leak = find_leakage(X, y, holdout, classification=prep.classification, seed=prep.config.seed)
    gap = ctx.gap
    if gap is None:
        return leak
    folds = first_repeat(list(gap.cv.splits))
    metric, reported = gap.primary.metric, gap.primary.test[: len(folds)]
    if not folds or not all(np.isfinite(reported)):
        return leak
    model = guarded(prep.estimator, name=prep.config.model_name, label="the leakage check")
    jobs = prep.config.workers
    # Each refit is one pass over the folds; they stay under the fit ceiling (--max-fits) with what was fitted.
    left = prep.config.max_fits - max(prep.config.planned_fits, gap.n_folds)
    suspects = [c for c, _ in leak.feature_scores[:PROXY_SUSPECTS]]
    suspects += [c for c, _ in leak.copies[:1] if c not in suspects]
    proxies = target_proxies(
        model,
        X,
        y,
        suspects,
        splits=folds,
        reported=reported,
        metric=metric,
        classification=prep.classification,
        refit=left >= len(folds),
        n_jobs=jobs,
    )
    left -= len(folds) * any(p.without is not None for p in proxies)
    repeated = None
    if prep.config.time is None and left >= len(folds):  # time-ordered folds cannot move rows between folds
        repeated = repeated_rows(model, X, y, splits=folds, reported=reported, metric=metric, n_jobs=jobs)
    return replace(leak, proxies=proxies, repeated=repeated)


def _duplicates(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if leak.duplicate_rate is None:
        return "There is no holdout, so no copied rows to look for."
    own = leak.train_duplicate_rate or 0.0
    return [
        Measured(
            "leakage:duplicates",
            leak.excess_duplicate_rate,
            f"Share of holdout rows that copy a training row ({leak.duplicate_rate:.1%}) beyond the training rows' "
            f"own rate of copies ({own:.1%})",
        )
    ]


def _copy(classification: bool) -> Any:
    """The measure of ``leakage:label_copy`` (classification) or ``leakage:target_correlation`` (regression)."""
    check = "leakage:label_copy" if classification else "leakage:target_correlation"

    def measure(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
        if ev.gap is None or ev.gap.classification != classification:
            return f"Only for {'classification' if classification else 'regression'}."
        if not leak.copies:
            return "No column holds the label's values." if classification else "No numeric column."
        if len(leak.feature_scores) < 2:
            return "A table of one column: that column is the model."
        name, agreement = leak.copies[0]
        what = (
            "Agreement (Cohen's kappa) of column '{}' with the label"
            if classification
            else "Correlation of column '{}' with the target"
        )
        return [Measured(check, agreement, what.format(name))]

    return measure


def _proxy(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    from gapgates.compute.leakage import PROXY_SHARE

    refit = [p for p in leak.proxies if p.closure is not None]
    if not refit:
        if not leak.proxies:
            if len(leak.feature_scores) < 2:
                return "A table of one column: that column is the model."
            return "The model's cross-validated score was not available."
        best = max(leak.proxies, key=lambda p: p.share)
        if best.share >= PROXY_SHARE:
            return f"Column '{best.column}' comes close to the model alone, but no fits were left under --max-fits to refit."
        return (
            f"No column comes close to the model alone (best: '{best.column}', {best.share:.0%} of the model's skill "
            "over the dummy)."
        )
    top = max(refit, key=lambda p: p.closure)
    return [
        Measured(
            "leakage:proxy",
            top.closure,
            f"Share of the error left by the other columns that column '{top.column}' removes alone (the model scores "
            f"{top.reported:.3f} with it, {top.without:.3f} without it; the column alone {top.alone:.3f})",
        )
    ]


def _repeated(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    rep = leak.repeated
    if rep is None:
        return "Not measured (no cross-validation pass, time-ordered folds, or no fits left under --max-fits)."
    return [Measured("leakage:repeated_rows", rep.share, f"Share of training rows {_repeats_what(rep)}")]


def _optimism(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    rep = leak.repeated
    if rep is None:
        return "Not measured (no cross-validation pass, time-ordered folds, or no fits left under --max-fits)."
    if rep.optimism is None:
        return f"Too few training rows repeat across folds to refit ({rep.share:.1%})."
    low = rep.optimism if rep.optimism_low is None else rep.optimism_low
    return [
        Measured(
            "leakage:optimism", low, f"Lower bound (one-sided 95 %) of the optimism of the {rep.metric} {_optimism_what(rep)}"
        )
    ]


def _repeats_what(rep: Any) -> str:
    kind = "near-identical copies of one entity (an undeclared grouping)" if rep.grouped else "copies of another row"
    found = f"that are {kind} in another test fold"
    if rep.optimism is None:
        return found
    return f"{found} ({_optimism_what(rep)})"


def _optimism_what(rep: Any) -> str:
    return (
        f"from rows repeated across folds: reported {rep.reported:.3f}, {rep.honest:.3f} with each cluster of "
        f"copies in one fold, optimism {rep.optimism:+.3f}"
    )


def _leaking_feature(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if not leak.feature_scores:
        return "Leakage was not computed."
    name, score = leak.feature_scores[0]
    return [Measured("leakage:feature", score, f"Share of the target explained by column '{name}' alone")]


def _holds(ev: Evidence, decision: Decision) -> str | None:
    # Repeated rows alone only warn (a table may repeat rows honestly); their optimism is what names a leak.
    if not [c for c in breached(decision, "leakage") if c.name != "leakage:repeated_rows"] or ev.leakage is None:
        return None
    lk, parts = ev.leakage, []
    if lk.duplicate_rate is not None and _failed(decision, "leakage:duplicates"):
        parts.append(
            f"{lk.near_duplicates} of {lk.holdout_rows} holdout rows ({lk.duplicate_rate:.1%}) copy a "
            f"training row ({lk.exact_duplicates} exactly), against {lk.train_duplicate_rate or 0:.1%} among the "
            "training rows themselves"
        )
    if lk.feature_scores and _failed(decision, "leakage:feature"):
        name, score = lk.feature_scores[0]
        parts.append(f"column '{name}' alone explains {score:.3f} of the target")
    if lk.copies and (_failed(decision, "leakage:label_copy") or _failed(decision, "leakage:target_correlation")):
        name, agreement = lk.copies[0]
        parts.append(f"column '{name}' copies the target (agreement {agreement:.3f})")
    proxy = _top_proxy(lk)
    if proxy is not None and _failed(decision, "leakage:proxy"):
        parts.append(
            f"column '{proxy.column}' is a target proxy: alone it scores {proxy.alone:.3f} and the model scores "
            f"{proxy.reported:.3f} with it, {proxy.without:.3f} without it"
        )
    rep = lk.repeated
    if rep is not None and rep.optimism is not None and _failed(decision, "leakage:optimism"):
        what = "rows of one entity (an undeclared grouping)" if rep.grouped else "copied rows"
        parts.append(
            f"{rep.share:.1%} of the training rows are {what} on both sides of a fold: {rep.metric} "
            f"{rep.reported:.3f} reported, {rep.honest:.3f} with each cluster in one fold (optimism {rep.optimism:+.3f})"
        )
    if not parts:
        return None
    return "; ".join(parts) + ", so held-out scores are too optimistic to trust."


def _failed(decision: Decision, name: str) -> bool:
    return bool(breached(decision, name))


def _top_proxy(lk: Any) -> Any:
    refit = [p for p in lk.proxies if p.closure is not None]
    return max(refit, key=lambda p: p.closure) if refit else None


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
    copied = breached(decision, "leakage:label_copy", "leakage:target_correlation")
    if copied and lk.copies and not (breached(decision, "leakage:feature") and lk.copies[0][0] == lk.feature_scores[0][0]):
        name, agreement = lk.copies[0]
        out.append(
            f"Drop or rebuild column '{name}': it copies the target (agreement {agreement:.3f}), so it is derived "
            "from the target or only known after it."
        )
    proxy = _top_proxy(lk)
    if proxy is not None and breached(decision, "leakage:proxy"):
        out.append(
            f"Check column '{proxy.column}': without it the model scores {proxy.without:.3f} instead of "
            f"{proxy.reported:.3f}, and alone it scores {proxy.alone:.3f}; if it is derived from the target or only "
            "known after it, drop it."
        )
    rep = lk.repeated
    if rep is not None and breached(decision, "leakage:repeated_rows", "leakage:optimism"):
        honest = "" if rep.optimism is None else f" (the honest {rep.metric} is {rep.honest:.3f}, not {rep.reported:.3f})"
        if rep.grouped:
            out.append(
                f"Declare the grouping: {rep.share:.1%} of the rows are near-identical copies of one entity (clusters "
                f"of about {rep.typical_size:.0f} rows, first rows {listed(rep.examples)}) spread over folds{honest}; "
                "pass the entity's column with --group so each entity stays in one fold."
            )
        else:
            out.append(
                f"De-duplicate the training rows: {rep.share:.1%} of them copy another row in another fold (first rows "
                f"{listed(rep.examples)}){honest}; drop the copies, or split by entity with --group."
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
        "De-duplicate the training rows, or declare their grouping (--group), so copies never sit on both sides of a fold.",
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
    lines = [f"- Leakage: {copies}{top}"]
    rep = leak.get("repeated")
    if isinstance(rep, dict) and rep.get("spanning"):
        kind = "rows of undeclared groups" if rep.get("grouped") else "repeated rows"
        honest = (
            f"; {rep.get('metric')} reported {fmt(rep.get('reported'))}, {fmt(rep.get('honest'))} with each cluster in "
            f"one fold (optimism {fmt(rep.get('optimism'))})"
            if rep.get("optimism") is not None
            else ""
        )
        lines.append(f"- Training rows: {fmt(rep.get('share'))} are {kind} spread over test folds{honest}")
    return lines


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
        RuleSpec("leakage:label_copy", "leakage", "leakage.max_label_kappa", _copy(True), missing="Leakage was not computed."),
        RuleSpec(
            "leakage:target_correlation",
            "leakage",
            "leakage.max_target_correlation",
            _copy(False),
            missing="Leakage was not computed.",
        ),
        RuleSpec("leakage:proxy", "leakage", "leakage.max_proxy_closure", _proxy, missing="Leakage was not computed."),
        RuleSpec(
            "leakage:repeated_rows", "leakage", "leakage.max_repeated_share", _repeated, missing="Leakage was not computed."
        ),
        RuleSpec("leakage:optimism", "leakage", "leakage.max_optimism", _optimism, missing="Leakage was not computed."),
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
