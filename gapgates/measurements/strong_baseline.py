"""The strong baseline on the gap's folds (``references`` step): what a model that is hard to beat on tabular data scores.

HistGradientBoosting with early stopping, a regularised linear model (logistic or ridge regression on scaled,
one-hot encoded features) and a random forest, each fitted on the candidate's folds
(:func:`gapgates.compute.baseline.strong_baseline`, cached in the process: a sweep's values reuse it); the best by mean
test score of the primary metric is *the* strong baseline. ``[baseline] models`` picks the references (empty: off),
``max_rows`` caps each fold's training rows.

Rule ``baseline_shortfall`` (``[baseline] max_shortfall``, ``warn`` by default): the lower bound of the corrected
interval on the paired difference *strong baseline − candidate* of the primary metric's per-fold test scores. The
contextual gap rule (:mod:`gapgates.measurements.gap`) reads the same references to tell a gap that costs held-out
score from a benign one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from gapgates.judge.checks import Measured, RuleSpec
from gapgates.measurements.base import Context, Measurement, Section, Table

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.compute.baseline import StrongBaselineResult
    from gapgates.compute.intervals import PairedDifference
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["STRONG_BASELINE", "baseline_fits", "shortfall"]


def baseline_fits(policy: Any, folds: int) -> int:
    """Fits the strong baseline costs on ``folds`` folds (before its cache): one per reference model and fold. They
    count against the fit ceiling (``--max-fits``): the adaptive repeats leave room for them, and the references the
    ceiling leaves no room for are not fitted."""
    section = getattr(policy, "baseline", None)
    return 0 if section is None else len(section.models) * folds


def _compute(ctx: Context) -> Any:
    from gapgates.compute.baseline import strong_baseline
    from gapgates.compute.training_curve import replays_epochs

    prep = ctx.prep
    section = getattr(prep.policy, "baseline", None)
    if ctx.gap is None or section is None or not section.models:
        return None
    config = prep.config
    added = ctx.gap.n_folds - config.folds * config.repeats  # folds of the repeats added while an interval straddled
    per_fold = 1 + (1 if config.training_curve and replays_epochs(prep.estimator) else 0)  # the epochs' replay
    spent = config.planned_fits + config.folds * config.repeats * (per_fold - 1) + max(0, added) * per_fold
    room = max(0, config.max_fits - spent) // max(1, ctx.gap.n_folds)  # reference models the fit ceiling leaves room for
    models = list(section.models)[:room]
    if not models:
        return None
    result = strong_baseline(
        prep.train.X,
        prep.train.y,
        splits=ctx.gap.cv.splits,
        scoring=prep.metrics,
        classification=prep.classification,
        models=models,
        seed=prep.config.seed,
        max_rows=section.max_rows,
        confident_share=prep.policy.noise.confident_share if prep.classification else None,
        n_jobs=prep.config.workers,
    )
    earlier = 0 if ctx.gap.repeats is None else ctx.gap.repeats.reference_fits  # made while deciding the repeats
    return None if result is None else dataclasses.replace(result, fits=result.fits + earlier)


def shortfall(result: StrongBaselineResult, gap: Any, metric: str | None = None) -> PairedDifference:
    """The paired difference *strong baseline − candidate* of one metric's per-fold test scores (default: primary),
    with the corrected interval whose lower bound is one-sided at the gap's confidence c (the two-sided 2c − 1
    interval: "the strong baseline scores higher" is a one-sided question, as in the contextual gap rule)."""
    from gapgates.compute.intervals import paired_difference

    metric = metric or result.metric
    return paired_difference(
        result.best_reference.test[metric],
        gap.metrics[metric].test,
        n_train=result.n_train,
        n_test=result.n_test,
        confidence=2 * gap.confidence - 1,
    )


def _shortfall(result: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if ev.gap is None:
        return "The gap was not computed."
    d = shortfall(result, ev.gap)
    best = result.best_reference
    what = (
        f"Shortfall of the test {result.metric} below the strong baseline's ({best.name} "
        f"{best.test_mean(result.metric):.3f}; candidate {ev.gap.primary.test_mean:.3f}; mean {d.mean:.3f}, "
        f"one-sided lower bound)"
    )
    return [Measured("baseline_shortfall", d.low, what, interval=(d.low, d.mean, d.high))]


def _json(ev: Evidence) -> dict[str, Any]:
    result = ev.strong_baseline
    if result is None:
        return {}
    section = result.to_dict()
    if ev.gap is not None:
        d = shortfall(result, ev.gap)
        section["comparison"] = {
            "metric": result.metric,
            "candidate_test": ev.gap.primary.test_mean,
            "baseline_test": result.best_reference.test_mean(result.metric),
            "shortfall": d.to_dict(),
        }
    return {"strong_baseline": section}


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per reference model and metric: train, test and gap means (the Markdown and HTML table)."""
    section = report.get("strong_baseline") or {}
    return [
        {
            "model": r["name"],
            "what": r["model"],
            "metric": m,
            "train": v["train"],
            "test": v["test"],
            "gap": v["gap"],
            "best": r["name"] == section.get("best"),
        }
        for r in section.get("references") or []
        for m, v in r["metrics"].items()
    ]


def _markdown(report: dict[str, Any]) -> list[str]:
    from gapgates.format import fmt

    section = report.get("strong_baseline")
    if not section:
        return []
    lines = ["## Strong baseline", "", "| reference | metric | train | test | gap |", "|---|---|---:|---:|---:|"]
    for row in rows(report):
        star = " (best)" if row["best"] else ""
        lines.append(
            f"| `{row['what']}`{star} | {row['metric']} | {fmt(row['train'])} | {fmt(row['test'])} | {fmt(row['gap'])} |"
        )
    lines.append("")
    comparison = section.get("comparison")
    if comparison:
        s = comparison["shortfall"]
        lines += [
            f"Candidate test {comparison['metric']} {fmt(comparison['candidate_test'])} against the strong baseline's "
            f"{fmt(comparison['baseline_test'])}: shortfall {fmt(s['mean'])} (interval {fmt(s['low'])} to "
            f"{fmt(s['high'])}), paired over the same folds.",
            "",
        ]
    return lines


def _summary(report: dict[str, Any]) -> list[str]:
    from gapgates.format import fmt

    comparison = (report.get("strong_baseline") or {}).get("comparison")
    if not comparison:
        return []
    return [
        f"- Strong baseline ({report['strong_baseline']['best']}): test {comparison['metric']} "
        f"{fmt(comparison['baseline_test'])}, candidate {fmt(comparison['candidate_test'])}."
    ]


def _tables(report: dict[str, Any]) -> list[Table]:
    section = report.get("strong_baseline") or {}
    found = [
        {"reference": r["name"], "fold": i, "metric": m, "train": f["train"], "test": f["test"], "gap": f["train"] - f["test"]}
        for r in section.get("references") or []
        for m, v in r["metrics"].items()
        for i, f in enumerate(v["folds"])
    ]
    return [Table("strong-baseline", "Per-fold scores of the strong baseline beside {name}", found)] if found else []


def _context(report: dict[str, Any]) -> dict[str, Any]:
    return {"strong_rows": rows(report)}


STRONG_BASELINE = Measurement(
    name="strong_baseline",
    step="references",
    compute=_compute,
    failure="the strong baseline could not be scored",
    rules=(
        RuleSpec(
            "baseline_shortfall",
            "strong_baseline",
            "baseline.max_shortfall",
            _shortfall,
            missing=(
                "The strong baseline was not computed: [baseline] models is empty, or the fit ceiling (--max-fits) "
                "left no room for it."
            ),
        ),
    ),
    section=Section(
        keys=("strong_baseline",),
        json=_json,
        schema="strong_baseline.json",
        summary=_summary,
        markdown=_markdown,
        html="strong_baseline.html.j2",
        context=_context,
        tables=_tables,
    ),
)
