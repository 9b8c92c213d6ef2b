"""The dummy baseline on the gap's folds (``references`` step): what predicting the prior or the mean scores.

The ``[performance]`` floors: ``min_test_score`` (on the gap's mean test score) and ``gain_over_baseline``
(``min_gain_over_baseline``, over this baseline); diagnoses ``underfit`` (the model barely beats it, no gap
check is breached and it does not fit its own training rows either: one that does is ``overfit``, see
:func:`memorises_below_dummy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.judge.checks import Measured, RuleSpec, Status
from gapgates.measurements.base import Context, Diagnoser, Measurement, Section, breached

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["BASELINE", "UNDERFIT_MARGIN", "memorised", "memorises_below_dummy"]

UNDERFIT_MARGIN = 0.02  # primary-metric points over the dummy below which the model learned ~nothing
FITTED_SHARE = 0.5  # share of the dummy's headroom to a perfect score the train score closes: it fits its rows


def memorises_below_dummy(ev: Evidence) -> tuple[float, float] | None:
    """Whether the model fits its training rows yet barely beats the dummy on unseen folds: overfitting, not a
    lack of capacity. Returns ``(train score, dummy test score)`` when it does, else None.

    It fits its rows when its train score closes at least :data:`FITTED_SHARE` of the way from the dummy's test score
    to a perfect score of 1 (bounded metrics such as accuracy, r², ROC AUC), or, for an unbounded (``neg_*``)
    metric, when its gap is more than twice :data:`UNDERFIT_MARGIN` above its gain over the dummy.

    Example:
        >>> from types import SimpleNamespace
        >>> p = SimpleNamespace(metric="accuracy", train_mean=1.0, test_mean=0.957, gap_mean=0.043)
        >>> ev = SimpleNamespace(gap=SimpleNamespace(primary=p), baseline=SimpleNamespace(test_mean={"accuracy": 0.967}))
        >>> memorises_below_dummy(ev)
        (1.0, 0.967)
    """
    if ev.baseline is None or ev.gap is None:
        return None
    p = ev.gap.primary
    dummy = ev.baseline.test_mean.get(p.metric)
    if dummy is None or p.test_mean - dummy >= UNDERFIT_MARGIN:
        return None
    if p.metric.startswith("neg_"):
        fits = p.gap_mean > 2 * UNDERFIT_MARGIN + max(0.0, p.test_mean - dummy)
    else:
        headroom = 1.0 - dummy
        fits = headroom > 0 and (p.train_mean - dummy) >= FITTED_SHARE * headroom and p.gap_mean > UNDERFIT_MARGIN
    return (p.train_mean, dummy) if fits else None


def _compute(ctx: Context) -> Any:
    from gapgates.compute.baseline import baseline

    prep = ctx.prep
    if ctx.gap is None:
        return None
    return baseline(
        prep.train.X, prep.train.y, splits=ctx.gap.cv.splits, scoring=prep.metrics, classification=prep.classification
    )


def _min_test_score(result: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    p = result.primary
    return [Measured("min_test_score", p.test_mean, f"Mean cross-validated {p.metric}")]


def _gain(base: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if ev.gap is None:
        return "The gap was not computed."
    p = ev.gap.primary
    return [Measured("gain_over_baseline", p.test_mean - base.test_mean[p.metric], f"Gain in {p.metric} over the dummy baseline")]


def memorised(ev: Evidence, decision: Decision) -> str | None:
    """The floors over the dummy failed by a model that fits its own training rows (train score far above the
    dummy's): it memorised rows that do not generalise, which is overfitting, whatever its gap's limit says."""
    floors = [c for c in decision.checks if c.name in ("gain_over_baseline", "min_test_score") and c.status == Status.FAIL]
    found = memorises_below_dummy(ev) if floors and ev.gap is not None else None
    if found is None or ev.gap is None:
        return None
    train, dummy = found
    p = ev.gap.primary
    return (
        f"The model fits its training folds ({train:.3f} {p.metric}) but scores {p.test_mean:.3f} on unseen folds, "
        f"{'below' if p.test_mean < dummy else 'barely above'} the dummy baseline's {dummy:.3f}: it memorises rows "
        f"that do not generalise (gap {p.gap_mean:.3f}, interval {p.gap_ci_low:.3f} to {p.gap_ci_high:.3f})."
    )


def _underfit(ev: Evidence, decision: Decision) -> str | None:
    if ev.baseline is None or ev.gap is None or breached(decision, "gap", "relative_gap", "holdout_gap"):
        return None
    if breached(decision, "label_noise:confident"):
        return None  # random flips spread over the surest rows: the labels, not the capacity, hold the model back
    if memorised(ev, decision) is not None:
        return None  # a floor failed by a model that fits its training rows: overfitting, not a lack of capacity
    p = ev.gap.primary
    dummy = ev.baseline.test_mean.get(p.metric)
    if dummy is None or p.test_mean - dummy >= UNDERFIT_MARGIN:
        return None
    return (
        f"The test {p.metric} ({p.test_mean:.3f}) beats the dummy baseline ({dummy:.3f}) by only "
        f"{p.test_mean - dummy:.3f} (< {UNDERFIT_MARGIN}), and even the train score is {p.train_mean:.3f}: "
        "the model learns almost nothing."
    )


def _underfit_advice(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    if ev.gap is None or ev.baseline is None:
        return ()
    p = ev.gap.primary
    dummy = ev.baseline.test_mean.get(p.metric)
    if dummy is None:
        return ()
    return (
        f"The test {p.metric} ({p.test_mean:.3f}) is only {p.test_mean - dummy:.3f} above the dummy baseline's "
        f"({dummy:.3f}), with a train {p.metric} of {p.train_mean:.3f}: add capacity or informative features first.",
    )


UNDERFIT = Diagnoser(
    label="underfit",
    order=30,
    holds=_underfit,
    covers=("min_test_score", "gain_over_baseline"),
    advice=(
        "Add capacity: a more flexible model, weaker regularisation, more boosting rounds or deeper trees.",
        "Add informative features; the current ones barely beat the dummy baseline.",
    ),
    specific=_underfit_advice,
)


def _markdown(report: dict[str, Any]) -> list[str]:
    from gapgates.format import fmt

    base = report.get("baseline")
    if not base:
        return []
    parts = [f"{m} {fmt(v['test'])}" for m, v in base["metrics"].items()]
    return [f"Baseline `{base['model']}`: " + ", ".join(parts), ""]


BASELINE = Measurement(
    name="baseline",
    step="references",
    compute=_compute,
    failure="the dummy baseline could not be scored",
    rules=(
        RuleSpec(
            "min_test_score",
            "gap",
            "performance.min_test_score",
            _min_test_score,
            at_most=False,
            missing="The gap was not computed.",
        ),
        RuleSpec(
            "gain_over_baseline",
            "baseline",
            "performance.min_gain_over_baseline",
            _gain,
            at_most=False,
            missing="The dummy baseline was not computed.",
        ),
    ),
    diagnoses=(UNDERFIT,),
    section=Section(
        keys=("baseline",),
        required=("baseline",),
        json=lambda ev: {"baseline": None if ev.baseline is None else ev.baseline.to_dict()},
        schema="baseline.json",
        markdown=_markdown,
        html="baseline.html.j2",
        top=True,
    ),
)
