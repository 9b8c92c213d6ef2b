"""Why the gap is what it is: one label, the numbers behind it, and what to do about it.

The rules read the checks the policy already judged (so a limit means the same
thing in the decision and in the diagnosis) and are applied in a fixed order;
the first that holds names the cause, the others that hold are listed as
``also``. The table of rules is in the README (section "The diagnosis rules").

====  ============  =========================================================================
 #    label         holds when
====  ============  =========================================================================
 1    leakage       a ``leakage:*`` check fails or warns (copied holdout rows, a leaking column)
 2    shift         the ``shift`` check fails or warns (adversarial AUC above ``max_auc``)
 3    underfit      test score − dummy score < ``UNDERFIT_MARGIN`` and no gap check is breached
 4    noise         a ``label_noise*`` check (``max_rate``, ``max_rate_increase`` over the
                    reference, ``max_class_rate``) is breached and the fold models reproduce fewer
                    than ``MEMORISED_LIMIT`` of the flagged labels they were trained on
 5    overfit       a ``gap:*``, ``relative_gap:*`` or ``holdout_gap:*`` check is breached,
                    other than on an interval still inconclusive
 6    inconclusive  a ``gap:*`` or ``relative_gap:*`` check fails because its interval still
                    straddles the limit after the repeat budget (``[gap] max_repeats``)
 7    healthy       none of the above (when another rule blocks, the text names it and the
                    advice is that rule's)
====  ============  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapgates.judge.checks import Decision, Status
from gapgates.judge.evidence import Evidence

__all__ = ["LABELS", "MEMORISED_LIMIT", "UNDERFIT_MARGIN", "Diagnosis", "diagnose", "early_stopping_advice"]

LABELS = ("leakage", "shift", "underfit", "noise", "overfit", "inconclusive", "healthy")
UNDERFIT_MARGIN = 0.02  # primary-metric points over the dummy below which the model learned ~nothing
MEMORISED_LIMIT = 0.5  # share of flagged labels reproduced on training folds above which it is memorisation

MITIGATIONS: dict[str, tuple[str, ...]] = {
    "leakage": (
        "De-duplicate: drop holdout rows that copy training rows; split by entity (--group) so copies stay together.",
        "Drop or rebuild the leaking column: it is derived from the target or only known after it.",
    ),
    "shift": (
        "Re-split so training and holdout come from one population (shuffle, stratify, or split by time on purpose).",
        "If the shift is real, adapt: reweight training rows by the adversarial odds, or retrain on recent data.",
        "Inspect the top separating columns for pipeline changes (units, encodings, new categories).",
    ),
    "underfit": (
        "Add capacity: a more flexible model, weaker regularisation, more boosting rounds or deeper trees.",
        "Add informative features; the current ones barely beat the dummy baseline.",
    ),
    "noise": (
        "Relabel the flagged rows (report.json noise.issues, worst first) or drop them before training.",
        "Use a noise-robust approach: cleanlab's CleanLearning, label smoothing or a robust loss.",
    ),
    "overfit": (
        "Regularise: stronger penalty (smaller C, larger alpha), fewer features, or dropout/weight decay.",
        "Limit capacity: shallower trees (max_depth, min_samples_leaf), fewer boosting rounds, early stopping.",
        "Add training data if the learning curve (--learning-curve) shows the gap still narrowing.",
    ),
    "inconclusive": (
        "Add data: the interval's width comes mostly from the rows (the n_test/n_train · s² term); "
        "repeats only average out the fold assignment.",
        "Or raise [gap] max_repeats (or --repeats): each repeat costs one fit per fold and narrows the interval a little more.",
        'The policy\'s on_fail decided this run; with on_fail = "needs_approval" a person can accept a gap whose '
        "estimate is within the limit.",
    ),
    "healthy": ("Nothing to fix: keep monitoring the gap on new data.",),
}


@dataclass(frozen=True)
class Diagnosis:
    """The most likely cause of the gap.

    Attributes:
        label: One of :data:`LABELS`.
        explanation: Plain-language reasons citing the numbers.
        mitigations: What to do about that cause.
        also: Other labels whose rule holds too (lower in the order).
    """

    label: str
    explanation: str
    mitigations: tuple[str, ...]
    also: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``diagnosis`` section."""
        return {
            "label": self.label,
            "explanation": self.explanation,
            "mitigations": list(self.mitigations),
            "also": list(self.also),
        }


def _breached(decision: Decision, *prefixes: str) -> list[Any]:
    return [
        c
        for c in decision.checks
        if c.status in (Status.FAIL, Status.WARN) and any(c.name == p or c.name.startswith(p + ":") for p in prefixes)
    ]


def _leakage(ev: Evidence, decision: Decision) -> str | None:
    if not _breached(decision, "leakage") or ev.leakage is None:
        return None
    lk, parts = ev.leakage, []
    if lk.duplicate_rate is not None and _breached(decision, "leakage:duplicates"):
        parts.append(
            f"{lk.near_duplicates} of {lk.holdout_rows} holdout rows ({lk.duplicate_rate:.1%}) copy a "
            f"training row ({lk.exact_duplicates} exactly)"
        )
    if lk.feature_scores and _breached(decision, "leakage:feature"):
        name, score = lk.feature_scores[0]
        parts.append(f"column '{name}' alone explains {score:.3f} of the target")
    return "; ".join(parts) + ", so held-out scores are too optimistic to trust."


def _shift(ev: Evidence, decision: Decision) -> str | None:
    if not _breached(decision, "shift") or ev.shift is None:
        return None
    cols = ", ".join(f"'{f}' (AUC {a:.2f})" for f, a in ev.shift.top_features[:3])
    text = (
        f"A classifier tells holdout rows from training rows with AUC {ev.shift.auc:.3f}; the columns that differ most: {cols}."
    )
    if ev.holdout is not None and ev.gap is not None:
        metric = ev.gap.primary.metric
        held = ev.holdout.gap.get(metric, float("nan"))
        text += (
            f" The holdout {metric} gap ({held:.3f}) against the cross-validated "
            f"gap ({ev.gap.primary.gap_mean:.3f}) reflects a different population, not memorisation."
        )
    return text


def _underfit(ev: Evidence, decision: Decision) -> str | None:
    if ev.baseline is None or ev.gap is None or _breached(decision, "gap", "relative_gap", "holdout_gap"):
        return None
    p = ev.gap.primary
    dummy = ev.baseline.test_mean.get(p.metric)
    if dummy is None or p.test_mean - dummy >= UNDERFIT_MARGIN:
        return None
    return (
        f"The test {p.metric} ({p.test_mean:.3f}) beats the dummy baseline ({dummy:.3f}) by only "
        f"{p.test_mean - dummy:.3f} (< {UNDERFIT_MARGIN}), and even the train score is {p.train_mean:.3f}: "
        "the model learns almost nothing."
    )


def _noise(ev: Evidence, decision: Decision) -> str | None:
    nz = ev.noise
    if nz is None or nz.skipped or nz.rate is None or not _breached(decision, "label_noise"):
        return None
    adj = nz.adjusted
    memorised = None if adj is None else adj.memorised
    if memorised is not None and memorised >= MEMORISED_LIMIT:
        return None
    text = f"cleanlab flags {nz.n_issues} of {nz.rows} labels ({nz.rate:.1%}) as likely wrong"
    ref = ev.noise_reference
    if ref is not None and ref.rate is not None and _breached(decision, "label_noise:increase"):
        text += f", {(nz.rate - ref.rate) * 100:+.1f} points over the {ref.rate:.1%} of {ref.describe()}"
    if memorised is not None:
        text += f"; the fold models reproduce only {memorised:.0%} of those labels when trained on them"
    if adj is not None and ev.gap is not None:
        p = ev.gap.primary
        a = adj.metrics[p.metric]
        text += (
            f". Without the flagged rows the test {p.metric} is {a.test_mean:.3f} instead of {p.test_mean:.3f} "
            f"and the gap {a.gap_mean:.3f} instead of {p.gap_mean:.3f}"
        )
    return text + "."


def _unsettled(check: Any) -> bool:
    """Whether a check's interval still straddled its limit when the repeat budget was spent."""
    return check.repeats is not None and check.repeats.inconclusive


def _overfit(ev: Evidence, decision: Decision) -> str | None:
    breached = [c for c in _breached(decision, "gap", "relative_gap", "holdout_gap") if not _unsettled(c)]
    if not breached or ev.gap is None:
        return None
    p = ev.gap.primary
    text = (
        f"The model scores {p.train_mean:.3f} {p.metric} on its training folds but {p.test_mean:.3f} on unseen "
        f"folds: a gap of {p.gap_mean:.3f} (interval {p.gap_ci_low:.3f} to {p.gap_ci_high:.3f}). "
    )
    return text + " ".join(c.message for c in breached[:2])


def _inconclusive(ev: Evidence, decision: Decision) -> str | None:
    unsettled = [c for c in _breached(decision, "gap", "relative_gap") if _unsettled(c)]
    if not unsettled or ev.gap is None:
        return None
    r = unsettled[0].repeats
    names = " and ".join(c.name for c in unsettled[:2])
    text = (
        f"The evidence is inconclusive: after {r.added} extra repeats of {r.folds}-fold (the budget) the interval of "
        f"{names} still straddles its limit, with the estimate within it: the data cannot tell whether the gap "
        "is within the policy, so the policy's on_fail decides. "
    )
    return text + " ".join(c.message for c in unsettled[:2])


_RULES = (
    ("leakage", _leakage),
    ("shift", _shift),
    ("underfit", _underfit),
    ("noise", _noise),
    ("overfit", _overfit),
    ("inconclusive", _inconclusive),
)


def diagnose(evidence: Evidence, decision: Decision) -> Diagnosis:
    """Name the most likely cause of the gap from the evidence and the judged checks.

    Args:
        evidence: What was computed.
        decision: The policy's checks on that evidence (see :func:`gapgates.judge.rules.evaluate`).

    Returns:
        The diagnosis; ``healthy`` when no rule holds.

    Example:
        >>> from gapgates.judge.checks import Decision, Outcome
        >>> diagnose(Evidence(), Decision(Outcome.PROMOTE)).label
        'healthy'
    """
    found = [(label, text) for label, rule in _RULES if (text := rule(evidence, decision)) is not None]
    if not found:
        p = evidence.gap.primary if evidence.gap is not None else None
        text = (
            "No gap, noise, shift or leakage limit is breached."
            if p is None
            else f"Train {p.metric} {p.train_mean:.3f}, test {p.test_mean:.3f}: a gap of {p.gap_mean:.3f} "
            f"(interval up to {p.gap_ci_high:.3f}) within the policy; no noise, shift or leakage limit breached."
        )
        failed = [c for c in decision.checks if c.status is Status.FAIL]
        if not failed:
            return Diagnosis("healthy", text, MITIGATIONS["healthy"])
        # The gap is healthy but another rule blocks (a weak segment, calibration, data issues, the champion...):
        # say which, and advise on each, never "nothing to fix".
        from gapgates.judge.mitigations import rule_advice

        text += " Blocked by other rules: " + "; ".join(f"{c.name} ({c.message})" for c in failed[:3]) + "."
        advice = tuple(dict.fromkeys(rule_advice(c, evidence, decision) for c in failed))
        return Diagnosis("healthy", text, advice)
    label, text = found[0]
    return Diagnosis(
        label,
        text,
        _early_stopping(evidence, label) + _mitigations(label, evidence, decision),
        also=tuple(lbl for lbl, _ in found[1:]),
    )


def _mitigations(label: str, evidence: Evidence, decision: Decision) -> tuple[str, ...]:
    """The label's advice naming its finding, then one line for each other breached check
    (:mod:`gapgates.judge.mitigations`)."""
    from gapgates.judge.mitigations import COVERS, label_advice, rule_advice

    advice = list(label_advice(label, evidence, decision, MITIGATIONS[label]))
    for check in decision.checks:
        if check.status is Status.FAIL and not any(check.name == p or check.name.startswith(p + ":") for p in COVERS[label]):
            line = rule_advice(check, evidence, decision)
            if line not in advice:
                advice.append(line)
    return tuple(advice)


def _early_stopping(evidence: Evidence, label: str) -> tuple[str, ...]:
    """The training curve's early-stopping point, first among an overfit model's mitigations (none without one)."""
    curve = evidence.training_curve
    if label != "overfit" or curve is None or curve.param_line is None:
        return ()
    return (early_stopping_advice(curve.to_dict()),)


def early_stopping_advice(section: dict[str, Any]) -> str:
    """The mitigation naming a ``training_curve`` section's early-stopping point."""
    return (
        f"Stop early: {section['param_line']} (from the training curve: the smallest iteration whose mean "
        f"validation {section['metric']} is within one standard error of its best, at iteration "
        f"{section['best_iteration']} of {section['fitted_iterations']})."
    )
