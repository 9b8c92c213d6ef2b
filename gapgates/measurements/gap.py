"""The generalization gap (the ``cross-validate`` step): train − test per metric with its corrected interval.

Rules: ``gap`` (``[gap] max_gap`` on the interval's upper bound, or the mean with ``gate_on = "mean"``),
``model_outputs`` (every fold model's outputs valid) and ``relative_gap`` (``max_relative_gap``).

The gap in context (``[gap] mode = "contextual"``, the default): a gap over its limit is judged by what it costs.
Its references — the strong baseline (:mod:`gapgates.measurements.strong_baseline`) and, with
``--training-curve``, the early-stopping point of the same model — are compared with the candidate on the same
folds (paired, corrected interval, :func:`gap_references`; one-sided: "better" at the gap's confidence). A
reference with a smaller gap that scores significantly better by more than ``max_cost`` makes the gap *harmful*:
it blocks (``overfit``). A gap no reference beats by more than ``max_cost`` on average (clearing it by
``cost_margin`` standard errors of the mean per-fold difference, :func:`costs`) is *benign*: a warning
(``benign_gap``). In between (beaten on average, not significantly) it is *inconclusive*: a warning with advice,
or a block with ``on_inconclusive = "block"``. With ``"established"`` (the default) it blocks as ``overfit`` when the
model interpolates its training rows (train score at its metric's best; regime ``memorising``) or the gap's whole
interval is over the limit (regime ``established``): a reference with a smaller gap does better on average, which on
a small table is as much as the folds can show; ``"interpolating"`` blocks the first case only. Decided on the mean
cost rather than its significance (and that mean clear of ``max_cost`` by its noise), such a block flips with the
fold seed less often. Without any reference the gap is
judged as in ``absolute`` mode, where every gap over its limit blocks.

Diagnoses ``overfit`` (a gap check breached, harmful in contextual mode), ``inconclusive`` (an interval still
straddling its limit after the repeat budget, or a cost the data cannot settle) and ``benign_gap``. Its section is
the gap table with how close each gated interval came to its limit, the gap and per-fold charts, and the flow's
per-fold table.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gapgates.format import is_number
from gapgates.judge.checks import Check, Measured, RuleSpec, Status
from gapgates.measurements.base import Diagnoser, Measurement, Section, Table, breached

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.compute.intervals import PairedDifference
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = [
    "GAP",
    "GapReference",
    "claims_overfit",
    "closeness",
    "closeness_lines",
    "costs",
    "fold_rows",
    "gap_references",
    "in_context",
    "interpolates",
    "output_checks",
    "policy_limit",
    "regime_of",
]


# --- rules ------------------------------------------------------------------------------------------------------------


def _gap_measured(check: str, what: str, g: Any, upper: bool, scale: float = 1.0) -> Measured:
    """The gap value a rule compares, divided by ``scale``: the interval's upper bound (with the
    interval) for ``gate_on = "upper"``, else the mean gap. NaN when ``scale`` is 0."""
    if not scale:
        return Measured(check, math.nan, what, metric=check.split(":", 1)[1])
    low, mean, high = g.gap_ci_low / scale, g.gap_mean / scale, g.gap_ci_high / scale
    metric = check.split(":", 1)[1]
    if upper:
        return Measured(check, high, what, interval=(low, mean, high), metric=metric)
    return Measured(check, mean, what, metric=metric)


def _gaps(result: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    upper = policy.gap.gate_on == "upper"
    label = "Upper bound of the" if upper else "Mean"
    return [_gap_measured(f"gap:{m}", f"{label} {m} gap (train − test)", g, upper) for m, g in result.metrics.items()]


def _relative_gaps(result: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    upper = policy.gap.gate_on == "upper"
    bound = "upper bound" if upper else "mean"
    return [
        _gap_measured(f"relative_gap:{m}", f"Relative {m} gap ({bound} / train score)", g, upper, abs(g.train_mean))
        for m, g in result.metrics.items()
    ]


def output_checks(result: Any, policy: Policy) -> list[Check]:
    """The ``model_outputs`` check: every fold model's outputs had the right shape and finite values, and its
    probabilities lay in [0, 1] with rows summing to 1 (see :mod:`gapgates.data.guard`). Never a warning."""
    from gapgates.data.guard import output_problem, output_problems

    cv = result.cv
    invalid = list(output_problems(cv.estimators))
    if not invalid and cv.oof_proba is not None and cv.classes is not None:  # fold models that were not guarded
        proba = cv.oof_proba[cv.covered]
        problem = output_problem("predict_proba", proba, rows=len(proba), classification=True, n_classes=cv.classes.size)
        invalid += [] if problem is None else [f"predict_proba out of fold: {problem}"]
    if not invalid:
        return [
            Check(
                "model_outputs",
                Status.PASS,
                0.0,
                0.0,
                "Every output of the fold models is valid: the right shape, finite values, probabilities in [0, 1] summing to 1.",
            )
        ]
    more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
    return [
        Check(
            "model_outputs",
            Status.FAIL,
            float(len(invalid)),
            0.0,
            f"The model gave an invalid output: {invalid[0]}{more}. Its scores and label-noise check cannot be "
            "trusted, so the gate fails.",
        )
    ]


# --- the gap in context -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapReference:
    """A reference a gap is judged against: a model scored on the candidate's folds.

    Attributes:
        name: What it is, in words (``strong baseline hgb``, ``early-stopping point (iteration 40 of 200)``).
        train_mean: Its mean train score of the metric.
        test_mean: Its mean test score of the metric.
        cost: The paired difference *reference − candidate* of the per-fold test scores (positive: the reference
            scores higher on held-out folds).
    """

    name: str
    train_mean: float
    test_mean: float
    cost: PairedDifference

    def describe(self) -> str:
        """One clause: its scores, its gap and what the candidate's gap costs against it."""
        c = self.cost
        se = f" (standard error {c.se:.3f})" if math.isfinite(c.se) else ""
        return (
            f"{self.name} scores {self.test_mean:.3f} (train {self.train_mean:.3f}, gap "
            f"{self.train_mean - self.test_mean:.3f}): {c.mean:+.3f} against the candidate{se}, interval "
            f"{c.low:+.3f} to {c.high:+.3f} (its lower bound one-sided)"
        )


def gap_references(ev: Evidence, metric: str) -> list[GapReference]:
    """The references of a gap's metric found in the evidence, paired with the candidate over the same folds: the
    strong baseline, and the training curve's early-stopping point when it stops before the last iteration."""
    from gapgates.compute.intervals import paired_difference

    gap = ev.gap
    if gap is None or metric not in gap.metrics:
        return []
    g = gap.metrics[metric]
    splits = gap.cv.splits
    n_train = float(sum(len(tr) for tr, _ in splits)) / max(1, len(splits))
    n_test = float(sum(len(te) for _, te in splits)) / max(1, len(splits))

    def paired(test: Any) -> PairedDifference:
        # "the reference scores better" is one-sided: the lower bound of the (2c − 1) two-sided interval is the
        # one-sided bound at the gap's confidence c
        return paired_difference(test, g.test, n_train=n_train, n_test=n_test, confidence=2 * gap.confidence - 1)

    found: list[GapReference] = []
    strong = ev.strong_baseline
    if strong is not None and metric in strong.best_reference.test and len(strong.best_reference.test[metric]) == len(g.test):
        best = strong.best_reference
        found.append(
            GapReference(
                f"the strong baseline ({best.name})", best.train_mean(metric), best.test_mean(metric), paired(best.test[metric])
            )
        )
    curve = ev.training_curve
    if (
        curve is not None
        and curve.skipped is None
        and curve.metric == metric
        and curve.param_line is not None
        and curve.stop in curve.iterations
        and len(curve.test) == len(g.test)
    ):
        at = curve.iterations.index(curve.stop)
        test = [fold[at] for fold in curve.test]
        train = [fold[at] for fold in curve.train]
        name = f"the early-stopping point ({curve.param} {curve.stop} of {curve.fitted})"
        found.append(GapReference(name, sum(train) / len(train), sum(test) / len(test), paired(test)))
    return found


def costs(reference: GapReference, *, max_cost: float, gap: float, margin: float = 0.0) -> bool:
    """Whether a reference beats the candidate by more than ``max_cost`` on average, clearing it by ``margin``
    standard errors of the mean per-fold difference (``[gap] cost_margin``), with a smaller gap than the candidate's
    mean ``gap``.

    The margin keeps a mean difference within the folds' noise of ``max_cost`` from deciding a block: on the
    decision benchmark's 31 real tables, replayed on 3 fold seeds (``benchmarks/bench_seeds.py``), the mean alone
    gave decisions that differed between two seeds for 8 to 17 of 130 table × model pairs, a margin of 1.5 for 5
    to 7. A standard error that cannot be computed (one fold) adds no margin. A significant difference (its
    interval's lower bound above 0) is a cost without the margin: :func:`regime_of`.

    Example:
        >>> from gapgates.compute.intervals import PairedDifference
        >>> ref = GapReference("baseline", 0.9, 0.85, PairedDifference(0.03, -0.01, 0.07, se=0.01))
        >>> costs(ref, max_cost=0.01, gap=0.2), costs(ref, max_cost=0.01, gap=0.2, margin=2.5)
        (True, False)
    """
    c = reference.cost
    if not math.isfinite(c.mean) or reference.train_mean - reference.test_mean >= gap:
        return False
    noise = margin * c.se if math.isfinite(c.se) else 0.0
    return c.mean - noise > max_cost


def regime_of(references: list[GapReference], *, max_cost: float, gap: float, margin: float = 0.0) -> str | None:
    """What a gap over its limit costs against its references: ``harmful`` (one scores significantly better, by more
    than ``max_cost`` on average), ``inconclusive`` (one is better by more than ``max_cost`` on average, not
    significantly), ``benign`` (none is better by more than ``max_cost`` on average); None without a reference.
    For ``inconclusive``, "more than ``max_cost`` on average" must clear it by ``margin`` standard errors
    (:func:`costs`); a significant difference needs no margin: the interval already rules out noise.

    Only a reference with a smaller gap than the candidate's mean ``gap`` counts: one that scores better with a
    larger gap says the candidate has too little capacity, not that its gap costs it (the overfitting side of a
    capacity curve is where less gap scores more).

    Example:
        >>> from gapgates.compute.intervals import PairedDifference
        >>> ref = GapReference("baseline", 0.9, 0.85, PairedDifference(0.05, 0.02, 0.08))
        >>> regime_of([ref], max_cost=0.01, gap=0.2)
        'harmful'
    """
    if not references:
        return None
    significant = [r for r in references if costs(r, max_cost=max_cost, gap=gap) and math.isfinite(r.cost.low) and r.cost.low > 0]
    if significant:
        return "harmful"
    return "inconclusive" if any(costs(r, max_cost=max_cost, gap=gap, margin=margin) for r in references) else "benign"


def in_context(check: Check, ev: Evidence, policy: Policy) -> Check:
    """A failed gap check judged by what the gap costs (``[gap] mode = "contextual"``; see the module docstring):
    harmful stays a failure, benign becomes a warning, inconclusive a warning (or a failure with
    ``on_inconclusive = "block"``; with ``"interpolating"`` or ``"established"``, the default, a failure of regime
    ``memorising`` when the candidate interpolates its training rows, :func:`interpolates`; with ``"established"``
    also of regime ``established`` when the gap's whole interval is over the limit); without a reference it stays
    as in ``absolute`` mode."""
    section = policy.gap
    if section.mode != "contextual" or ":" not in check.name:
        return check
    metric = check.name.split(":", 1)[1]
    references = gap_references(ev, metric)
    gap = ev.gap.metrics[metric].gap_mean if ev.gap is not None and metric in ev.gap.metrics else math.inf
    regime = regime_of(references, max_cost=section.max_cost, gap=gap, margin=section.cost_margin)
    if regime is None:
        why = (
            "the strong baseline failed, see baseline_shortfall"
            if "strong_baseline" in ev.errors
            else "strong baseline off, no training curve"
        )
        return dataclasses.replace(check, message=f"{check.message} No reference to judge it against ({why}).")
    costly = sorted(references, key=lambda r: -r.cost.mean)
    said = "; ".join(r.describe() for r in costly)
    margin = section.cost_margin
    noise = margin and any(math.isfinite(r.cost.se) for r in references)
    beyond = f" beyond {margin:g} standard errors" if noise else ""
    if regime == "harmful":
        text = f"It costs held-out score: {said}."
        status = Status.FAIL
    elif regime == "benign":
        text = (
            f"A benign gap: no held-out cost these folds can show (no reference with a smaller gap beats it by more than "
            f"{section.max_cost:g} on average{beyond}): {said}."
        )
        status = Status.WARN
    elif section.on_inconclusive in ("interpolating", "established") and (
        settled := _settled(check, ev, metric, mode=section.on_inconclusive)
    ):
        regime = settled
        train = ev.gap.metrics[metric].train_mean if ev.gap is not None else math.nan
        why, who = (
            ("It interpolates its training rows", "memorises its rows")
            if regime == "memorising"
            else ("Its gap is over the limit across its whole interval", "has an established gap")
        )
        text = (
            f"{why} (train {metric} {train:.3f}) while a reference with a smaller gap scores more than "
            f"{section.max_cost:g} better on average{beyond}, not significantly on these rows: {said}. A model that {who} and "
            f'still trails a reference is taken to pay for its gap ([gap] on_inconclusive = "{section.on_inconclusive}").'
        )
        status = Status.FAIL
    else:
        text = (
            f"Inconclusive: a reference scores more than {section.max_cost:g} better on average{beyond}, but not "
            f"significantly: {said}. More rows or more repeats would decide it."
        )
        status = Status.FAIL if section.on_inconclusive == "block" else Status.WARN
    return dataclasses.replace(check, status=status, message=f"{check.message} {text}", regime=regime)


def _settled(check: Check, ev: Evidence, metric: str, *, mode: str) -> str | None:
    """Whether an inconclusive cost blocks under ``on_inconclusive = "interpolating"`` or ``"established"``: the
    regime it blocks with, or None (a warning).

    ``memorising`` when the model interpolates its training rows (both modes): it memorises its rows and still
    trails a reference with a smaller gap on average. ``established`` (``"established"`` only) when the gap's whole
    interval is over the limit: what the folds cannot settle is the cost, not the gap. An interval that straddles
    the limit is not established: the fold seed moves its lower bound across it.
    """
    gap = ev.gap
    if gap is None or metric not in gap.metrics:
        return None
    g = gap.metrics[metric]
    if interpolates(g):
        return "memorising"
    scale = abs(g.train_mean) if check.name.startswith("relative_gap:") else 1.0
    if mode != "established" or check.limit is None or not scale or not math.isfinite(scale):
        return None
    return "established" if g.gap_ci_low / scale > check.limit else None


#: How close to its metric's best value (1 for a bounded score, 0 for a ``neg_*`` loss) a mean train score must be
#: for the model to interpolate its training rows.
INTERPOLATION_TOLERANCE = 0.001


def interpolates(g: Any) -> bool:
    """Whether a metric's mean train score is at its best possible value (within :data:`INTERPOLATION_TOLERANCE`):
    1 for a bounded score (accuracy, r², ROC AUC, F1), 0 for a ``neg_*`` loss. An unbounded tree or a
    1-nearest-neighbour model interpolates; a regression forest (train r² about 0.95) does not.

    Example:
        >>> from types import SimpleNamespace
        >>> tree, forest = SimpleNamespace(metric="r2", train_mean=1.0), SimpleNamespace(metric="r2", train_mean=0.96)
        >>> interpolates(tree), interpolates(forest)
        (True, False)
    """
    best = 0.0 if g.metric.startswith("neg_") else 1.0
    return bool(math.isfinite(g.train_mean) and g.train_mean >= best - INTERPOLATION_TOLERANCE)


# --- diagnosis --------------------------------------------------------------------------------------------------------


def _unsettled(check: Any) -> bool:
    """Whether a check's interval still straddled its limit when the repeat budget was spent."""
    return check.repeats is not None and check.repeats.inconclusive


def _harmful(check: Any) -> bool:
    """Whether a breached gap check says overfit: harmful, memorising or established in context, or judged on the gap
    alone and settled."""
    return check.regime in ("harmful", "memorising", "established") or (check.regime is None and not _unsettled(check))


def claims_overfit(ev: Evidence, decision: Decision) -> bool:
    """Whether overfitting is established: a gap check whose cost is significant (or, judged alone, settled), or floors
    failed by a model that fits its training rows. A ``memorising`` or ``established`` gap (a cost the folds cannot
    settle) is not enough to outweigh a breached noise rule: flipped labels that a model memorises explain that gap too."""
    from gapgates.measurements.baseline import memorised

    settled = [
        c
        for c in breached(decision, "gap", "relative_gap", "holdout_gap")
        if _harmful(c) and c.regime not in ("memorising", "established")
    ]
    return bool(settled and ev.gap is not None) or memorised(ev, decision) is not None


def _overfit(ev: Evidence, decision: Decision) -> str | None:
    from gapgates.measurements.baseline import memorised

    found = [c for c in breached(decision, "gap", "relative_gap", "holdout_gap") if _harmful(c)]
    if not found or ev.gap is None:
        return memorised(ev, decision)
    p = ev.gap.primary
    text = (
        f"The model scores {p.train_mean:.3f} {p.metric} on its training folds but {p.test_mean:.3f} on unseen "
        f"folds: a gap of {p.gap_mean:.3f} (interval {p.gap_ci_low:.3f} to {p.gap_ci_high:.3f}). "
    )
    return text + " ".join(c.message for c in found[:2])


def _overfit_advice(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    found = [c for c in breached(decision, "gap", "relative_gap", "holdout_gap") if _harmful(c)]
    if not found or ev.gap is None:
        return ()
    worst = found[0]
    if worst.value is None:
        return ()
    limit = "" if worst.limit is None else f" against a limit of {worst.limit:g}"
    return (
        f"Regularise until {worst.name} ({worst.value:.3f}{limit}) is within the policy: stronger penalty "
        "(smaller C, larger alpha), fewer features, or dropout/weight decay.",
    )


def _inconclusive(ev: Evidence, decision: Decision) -> str | None:
    costs = [c for c in breached(decision, "gap", "relative_gap") if c.regime == "inconclusive"]
    if costs and ev.gap is not None:
        return (
            "The evidence is inconclusive: the gap is over its limit, and a reference scores better on the same "
            "folds on average, but the interval of the difference includes no cost: the data cannot tell whether "
            "the gap costs held-out score. " + " ".join(c.message for c in costs[:2])
        )
    unsettled = [c for c in breached(decision, "gap", "relative_gap") if c.regime is None and _unsettled(c)]
    r = unsettled[0].repeats if unsettled else None
    if r is None or ev.gap is None:
        return None
    names = " and ".join(c.name for c in unsettled[:2])
    text = (
        f"The evidence is inconclusive: after {r.added} extra repeats of {r.folds}-fold (the budget) the interval of "
        f"{names} still straddles its limit, with the estimate within it: the data cannot tell whether the gap "
        "is within the policy, so the policy's on_fail decides. "
    )
    return text + " ".join(c.message for c in unsettled[:2])


OVERFIT = Diagnoser(
    label="overfit",
    order=50,
    holds=_overfit,
    covers=("gap", "relative_gap", "holdout_gap"),
    advice=(
        "Regularise: stronger penalty (smaller C, larger alpha), fewer features, or dropout/weight decay.",
        "Limit capacity: shallower trees (max_depth, min_samples_leaf), fewer boosting rounds, early stopping.",
        "Add training data if the learning curve (--learning-curve) shows the gap still narrowing.",
    ),
    specific=_overfit_advice,
    replaces={"Regularise": "Regularise"},
)

INCONCLUSIVE = Diagnoser(
    label="inconclusive",
    order=60,
    holds=_inconclusive,
    covers=("gap", "relative_gap"),
    advice=(
        "Add data: the interval's width comes mostly from the rows (the n_test/n_train · s² term); "
        "repeats only average out the fold assignment.",
        "Or raise [gap] max_repeats (or --repeats): each repeat costs one fit per fold and narrows the interval a little more.",
        'The policy\'s on_fail decided this run; with on_fail = "needs_approval" a person can accept a gap whose '
        "estimate is within the limit.",
    ),
)


def _benign(ev: Evidence, decision: Decision) -> str | None:
    found = [c for c in breached(decision, "gap", "relative_gap") if c.regime == "benign"]
    if not found or ev.gap is None:
        return None
    p = ev.gap.primary
    interpolates = (
        " It fits its training rows almost perfectly (it interpolates them), as forests and boosting do."
        if p.train_mean >= 0.999
        else ""
    )
    return (
        f"A benign gap: the model scores {p.train_mean:.3f} {p.metric} on its training folds and {p.test_mean:.3f} on "
        f"unseen folds (gap {p.gap_mean:.3f}, over the limit), but no reference with a smaller gap scores better on the "
        f"same held-out folds by more than the policy's max_cost beyond the folds' noise, so the gap costs no held-out "
        f"score that these folds can show.{interpolates} " + " ".join(c.message for c in found[:2])
    )


BENIGN = Diagnoser(
    label="benign_gap",
    order=65,
    holds=_benign,
    covers=(),
    advice=(
        "The gap costs no held-out score these folds can show: no reference with a smaller gap scores better on the "
        "same folds by more than max_cost beyond their noise. Keep monitoring it on new data.",
        "For a smaller gap anyway, regularise only as far as the held-out score holds (compare settings with `gapgates sweep`).",
    ),
)


def _advice(check: Check, ev: Evidence) -> str | None:
    if check.name == "model_outputs":
        return f"Fix the model's outputs before trusting any score: {check.message}"
    return None


# --- report section ---------------------------------------------------------------------------------------------------


def closeness(check: dict[str, Any], *, gate_on: str = "upper") -> str | None:
    """How close a check came to its limit, in one line; None for a check without a margin.

    Example:
        >>> closeness({"name": "gap:accuracy", "value": 0.0415, "limit": 0.05, "margin": 0.0085,
        ...            "repeats": {"added": 1, "inconclusive": False}})
        'gap:accuracy upper bound 0.0415 after 1 extra repeat; limit 0.05 (margin 0.0085)'
    """
    if not is_number(check.get("margin")):
        return None
    name = str(check.get("name"))
    if name.startswith(("gap:", "relative_gap:")):
        name += " upper bound" if gate_on == "upper" else " mean"
    repeats = check.get("repeats")
    after = ""
    if isinstance(repeats, dict) and is_number(repeats.get("added")):
        added = int(repeats["added"])
        after = f" after {added} extra repeat{'' if added == 1 else 's'}"
        after += " (inconclusive: still straddling the limit)" if repeats.get("inconclusive") else ""

    def num(v: Any) -> str:
        return f"{v:.4g}" if is_number(v) else "–"

    return f"{name} {num(check.get('value'))}{after}; limit {num(check.get('limit'))} (margin {num(check['margin'])})"


def closeness_lines(report: dict[str, Any]) -> list[str]:
    """:func:`closeness` of every gap check (``gap:*``, ``relative_gap:*``): how close the gated intervals came."""
    gate_on = ((report.get("policy") or {}).get("gap") or {}).get("gate_on", "upper")
    checks = [
        c
        for c in report.get("checks") or []
        if isinstance(c, dict) and str(c.get("name", "")).startswith(("gap:", "relative_gap:"))
    ]
    return [line for c in checks if (line := closeness(c, gate_on=gate_on)) is not None]


def policy_limit(report: dict[str, Any], section: str, key: str) -> float | None:
    """The limit ``[section] key`` of the report's policy (None when off or absent)."""
    rule = ((report.get("policy") or {}).get(section) or {}).get(key)
    return rule.get("limit") if isinstance(rule, dict) else None


def _adaptive_lines(cv: dict[str, Any]) -> list[str]:
    """One line on the repeats of k-fold added because an interval straddled its limit (none when none were)."""
    adaptive = cv.get("adaptive")
    if not isinstance(adaptive, dict) or not adaptive.get("added"):
        return []
    added = adaptive["added"]
    repeats = f"{added} extra repeat of" if added == 1 else f"{added} extra repeats of"
    verb = "was" if added == 1 else "were"
    return [
        f"{repeats} {adaptive.get('folds')}-fold ({adaptive.get('extra_fits')} fits) {verb} added because an "
        f"interval straddled its limit; the intervals are over all {cv.get('n_folds')} folds.",
        "",
    ]


def _markdown(report: dict[str, Any]) -> list[str]:
    from gapgates.format import fmt

    gap = report.get("gap") or {}
    if not gap:
        return []
    conf = (report.get("cv") or {}).get("confidence", 0.95)
    holdout = report.get("holdout") or {}
    lines = [
        "## Generalization gap",
        "",
        f"| metric | train | test | gap | {conf:.0%} interval | holdout gap |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for metric, g in gap.items():
        hold = holdout.get(metric, {}).get("gap") if holdout else None
        lines.append(
            f"| {metric} | {fmt(g['train_mean'])} | {fmt(g['test_mean'])} | {fmt(g['gap_mean'])} | "
            f"[{fmt(g['gap_ci_low'])}, {fmt(g['gap_ci_high'])}] | {fmt(hold)} |"
        )
    lines.append("")
    lines += [f"- {line}" for line in closeness_lines(report)]
    return [*lines, "", *_adaptive_lines(report.get("cv") or {})]


def _context(report: dict[str, Any]) -> dict[str, Any]:
    checks = report.get("checks") or []
    return {
        "closeness": closeness_lines(report),
        "gap_limit": policy_limit(report, "gap", "max_gap"),
        "gap_status": {c["name"].split(":", 1)[1]: c["status"] for c in checks if c.get("name", "").startswith("gap:")},
        "gate_on": ((report.get("policy") or {}).get("gap") or {}).get("gate_on", "upper"),
    }


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report import charts as plots

    gap = report.get("gap") or {}
    if not gap:
        return {}
    conf = (report.get("cv") or {}).get("confidence", 0.95)
    return {
        "gap": plots.gap_chart(gap, limit=policy_limit(report, "gap", "max_gap"), confidence=conf),
        "folds": plots.fold_chart(gap),
    }


def fold_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per fold and metric: train, test and gap."""
    rows = []
    for metric, g in (report.get("gap") or {}).items():
        for i, fold in enumerate(g["folds"]):
            train, test = fold["train"], fold["test"]
            gap = None if train is None or test is None else round(train - test, 6)
            rows.append({"fold": i, "metric": metric, "train": train, "test": test, "gap": gap})
    return rows


def _tables(report: dict[str, Any]) -> list[Table]:
    rows = fold_rows(report)
    return [Table("folds", "Per-fold scores of {name}", rows)] if rows else []


GAP = Measurement(
    name="gap",
    step="gap",
    rules=(
        RuleSpec("gap", "gap", "gap.max_gap", _gaps, required=True, context=in_context),
        RuleSpec("model_outputs", "gap", checks=output_checks),
        RuleSpec("relative_gap", "gap", "gap.max_relative_gap", _relative_gaps, required=True, context=in_context),
    ),
    diagnoses=(OVERFIT, INCONCLUSIVE, BENIGN),
    advice=_advice,
    section=Section(
        keys=("gap",),
        required=("gap",),
        json=lambda ev: {"gap": None if ev.gap is None else ev.gap.to_dict()},
        schema="gap.json",
        markdown=_markdown,
        html="gap.html.j2",
        top=True,
        context=_context,
        charts=_charts,
        tables=_tables,
    ),
)
