"""Why the gap is what it is: one label, the numbers behind it, and what to do about it.

Each measurement declares the causes it can name (:class:`~gapgates.measurements.base.Diagnoser`, in
:data:`gapgates.measurements.REGISTRY`); their rules read the checks the policy already judged, so a limit
means the same thing in the decision and in the diagnosis, and they are applied by priority: the first that
holds names the cause, the others that hold are listed as ``also``. The built-in labels, in order (docs/concepts/diagnosis.md,
section "The diagnosis rules", has the table):

====  ============  ============================  ===================================================================
 #    label         declared by                   holds when
====  ============  ============================  ===================================================================
 1    leakage       ``measurements.leakage``      a ``leakage:*`` check fails or warns
 2    shift         ``measurements.shift``        the ``shift`` check fails or warns
 3    underfit      ``measurements.baseline``     test score − dummy score < ``UNDERFIT_MARGIN``, no gap check breached,
                                                  ``label_noise:confident`` not breached
 4    noise         ``measurements.noise``        ``label_noise:confident`` is breached, or another ``label_noise*``
                                                  check is and the fold models reproduce fewer than
                                                  ``MEMORISED_LIMIT`` of the flagged labels
 5    overfit       ``measurements.gap``          a ``gap:*``, ``relative_gap:*`` or ``holdout_gap:*`` check is
                                                  breached, other than on an interval still inconclusive
 6    inconclusive  ``measurements.gap``          an interval still straddles its limit after the repeat budget
 7    healthy       (here)                        none of the above (when another rule blocks, the text names it and
                                                  the advice is that rule's)
====  ============  ============================  ===================================================================

The mitigations of a label are its advice naming the finding (``specific``), then its general advice that those
lines do not replace, then one line for each other failed check (:func:`rule_advice`), so a run blocked by a
champion regression *and* overfitting is told about both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapgates.judge.checks import Check, Decision, Status
from gapgates.judge.evidence import Evidence
from gapgates.measurements import REGISTRY, Diagnoser, named

__all__ = ["HEALTHY", "Diagnosis", "diagnose", "diagnosers", "labels", "mitigations", "rule_advice"]

#: The label when no cause holds, and its advice.
HEALTHY = ("healthy", ("Nothing to fix: keep monitoring the gap on new data.",))


@dataclass(frozen=True)
class Diagnosis:
    """The most likely cause of the gap.

    Attributes:
        label: One of :func:`labels`.
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


def diagnosers() -> list[Diagnoser]:
    """Every registered cause of a gap, by priority."""
    return sorted((d for m in list(REGISTRY.values()) for d in m.diagnoses), key=lambda d: d.order)


def labels() -> tuple[str, ...]:
    """The diagnosis labels, by priority, ``healthy`` last."""
    return (*dict.fromkeys(d.label for d in diagnosers()), HEALTHY[0])


def mitigations() -> dict[str, tuple[str, ...]]:
    """The general advice of every label."""
    return {**{d.label: d.advice for d in diagnosers()}, HEALTHY[0]: HEALTHY[1]}


def _label_advice(diagnoser: Diagnoser, evidence: Evidence, decision: Decision) -> tuple[str, ...]:
    """A label's specific lines naming the finding, then its general advice they do not replace."""
    specific = diagnoser.specific(evidence, decision) if diagnoser.specific is not None else ()
    if diagnoser.only_specific and specific:
        return specific
    replaced = {general for start, general in diagnoser.replaces.items() if any(s.startswith(start) for s in specific)}
    return specific + tuple(g for g in diagnoser.advice if not any(g.startswith(w) for w in replaced))


def rule_advice(check: Check, evidence: Evidence, decision: Decision) -> str:
    """One line of advice for a breached check, naming what it found: the specific advice of the first label that
    covers it, else its measurement's own advice, else what the check says."""
    for diagnoser in diagnosers():
        if diagnoser.specific is not None and named(check, *diagnoser.covers):
            lines = diagnoser.specific(evidence, decision)
            if lines:
                return lines[0]
    if check.value is not None:
        for measurement in list(REGISTRY.values()):
            line = None if measurement.advice is None else measurement.advice(check, evidence)
            if line is not None:
                return line
    return f"Fix what the {check.name} check found: {check.message}"


def _mitigations(diagnoser: Diagnoser, evidence: Evidence, decision: Decision) -> tuple[str, ...]:
    """Lines measurements put first for this label, the label's advice, then one line per other failed check."""
    lead = [line for m in list(REGISTRY.values()) if m.lead is not None for line in m.lead(diagnoser.label, evidence)]
    advice = [*lead, *_label_advice(diagnoser, evidence, decision)]
    for check in decision.checks:
        if check.status is Status.FAIL and not named(check, *diagnoser.covers):
            line = rule_advice(check, evidence, decision)
            if line not in advice:
                advice.append(line)
    return tuple(advice)


def diagnose(evidence: Evidence, decision: Decision) -> Diagnosis:
    """Name the most likely cause of the gap from the evidence and the judged checks.

    Args:
        evidence: What was computed.
        decision: The policy's checks on that evidence (see :func:`gapgates.judge.rules.evaluate`).

    Returns:
        The diagnosis; ``healthy`` when no registered cause holds.

    Example:
        >>> from gapgates.judge.checks import Decision, Outcome
        >>> diagnose(Evidence(), Decision(Outcome.PROMOTE)).label
        'healthy'
    """
    found = [(d, text) for d in diagnosers() if (text := d.holds(evidence, decision)) is not None]
    if not found:
        p = evidence.gap.primary if evidence.gap is not None else None
        failed = [c for c in decision.checks if c.status is Status.FAIL]
        # "no noise, shift or leakage limit breached" only while none of their checks failed (one that could not be
        # computed fails too, and is listed below)
        clean = not any(c.name.split(":", 1)[0] in ("label_noise", "shift", "leakage") for c in failed)
        text = (
            ("No gap, noise, shift or leakage limit is breached." if clean else "No gap limit is breached.")
            if p is None
            else f"Train {p.metric} {p.train_mean:.3f}, test {p.test_mean:.3f}: a gap of {p.gap_mean:.3f} "
            f"(interval up to {p.gap_ci_high:.3f}) within the policy"
            + ("; no noise, shift or leakage limit breached." if clean else ".")
        )
        if not failed:
            return Diagnosis(HEALTHY[0], text, HEALTHY[1])
        # The gap is healthy but another rule blocks (a weak segment, calibration, data issues, the champion...):
        # say which, and advise on each, never "nothing to fix".
        text += " Blocked by other rules: " + "; ".join(f"{c.name} ({c.message})" for c in failed[:3]) + "."
        advice = tuple(dict.fromkeys(rule_advice(c, evidence, decision) for c in failed))
        return Diagnosis(HEALTHY[0], text, advice)
    diagnoser, text = found[0]
    return Diagnosis(
        diagnoser.label, text, _mitigations(diagnoser, evidence, decision), also=tuple(d.label for d, _ in found[1:])
    )
