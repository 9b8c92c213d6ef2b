"""What to do about a finding, naming the finding: the diagnosis's mitigations.

Each diagnosis label has advice built from the evidence behind it (copied rows → the copied rows
and a split by entity; a leaking column → that column by name; shift → the drifted columns; a
noise increase → the reference version to audit the labelling since), then the label's general
advice (:data:`gapgates.judge.diagnosis.MITIGATIONS`) that the specific lines do not replace. Every
other breached check gets one line of its own (:func:`rule_advice`), so a run blocked by a champion
regression *and* overfitting is told about both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gapgates.judge.checks import Check, Decision, Status
from gapgates.judge.evidence import Evidence

__all__ = ["COVERS", "label_advice", "rule_advice"]

#: The check-name prefixes each diagnosis label speaks for (their advice is the label's).
COVERS: dict[str, tuple[str, ...]] = {
    "leakage": ("leakage",),
    "shift": ("shift", "holdout_gap"),  # a holdout from another population explains its gap
    "underfit": ("min_test_score", "gain_over_baseline"),
    "noise": ("label_noise",),
    "overfit": ("gap", "relative_gap", "holdout_gap"),
    "inconclusive": ("gap", "relative_gap"),
    "healthy": (),
}


def _named(check: Check, *prefixes: str) -> bool:
    return any(check.name == p or check.name.startswith(p + ":") for p in prefixes)


def _breached(decision: Decision, *prefixes: str) -> list[Check]:
    return [c for c in decision.checks if c.status in (Status.FAIL, Status.WARN) and _named(c, *prefixes)]


def _rows(rows: Any, limit: int = 5) -> str:
    rows = list(rows or ())
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(str(r) for r in rows[:limit]) + more


def _copies(ev: Evidence) -> str | None:
    lk = ev.leakage
    if lk is None or lk.duplicate_rate is None:
        return None
    return (
        f"De-duplicate: {lk.near_duplicates} of {lk.holdout_rows} holdout rows copy a training row "
        f"(holdout rows {_rows(lk.duplicate_rows)}; report.json leakage.duplicate_rows); drop them from the holdout "
        "and split by entity (--group) so every copy of an entity stays on one side."
    )


def _leaking_column(ev: Evidence) -> str | None:
    lk = ev.leakage
    if lk is None or not lk.feature_scores:
        return None
    name, score = lk.feature_scores[0]
    return (
        f"Drop or rebuild column '{name}': alone it explains {score:.3f} of the target, so it is derived from "
        "the target or only known after it; rebuild it from what is known at prediction time."
    )


def _leakage(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    out = []
    if _breached(decision, "leakage:duplicates") and (copies := _copies(ev)):
        out.append(copies)
    if _breached(decision, "leakage:feature") and (column := _leaking_column(ev)):
        out.append(column)
    return tuple(out)


def _drifted(ev: Evidence) -> str:
    """The drifted columns with their test, or the most separating columns without per-column tests."""
    sh = ev.shift
    if sh is None:
        return "the columns in report.json shift"
    drifted = [c for c in sh.columns if c.drifted][:3]
    if drifted:
        return ", ".join(f"'{c.column}' ({c.test} p = {c.p_value:.2g}, PSI {c.psi:.2f})" for c in drifted)
    return ", ".join(f"'{f}' (AUC alone {a:.2f})" for f, a in sh.top_features[:3]) or "none singled out"


def _shift(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    if ev.shift is None:
        return ()
    columns = _drifted(ev)
    return (
        f"The columns that moved most between training rows and the holdout: {columns}. Check them for pipeline "
        "changes (units, encodings, new categories) before anything else.",
        f"If the shift in {columns.split(' (')[0]} is real, reweight training rows by the adversarial odds or "
        "retrain on recent data that covers the new range.",
    )


def _underfit(ev: Evidence, decision: Decision) -> tuple[str, ...]:
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


def _noise(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    nz, ref = ev.noise, ev.noise_reference
    if nz is None or nz.skipped:
        return ()
    out = []
    if _breached(decision, "label_noise:increase") and ref is not None and ref.rate is not None:
        out.append(
            f"Audit the labelling pipeline since {ref.describe()}: the flagged share rose from {ref.rate:.1%} "
            f"to {nz.rate:.1%}. Compare the labelling guidelines, annotators and data sources of the rows "
            "added since then."
        )
    if _breached(decision, "label_noise:class") and nz.per_class:
        label, stats = max(nz.per_class.items(), key=lambda item: item[1].get("rate", 0.0))
        out.append(f"Start with class {label!r}: {stats.get('rate', 0.0):.1%} of its labels are flagged, the most of any class.")
    worst = _rows([i.row for i in nz.issues])
    out.append(
        f"Relabel the {nz.n_issues} flagged rows (report.json noise.issues, worst first: rows {worst}) or drop "
        "them before training."
    )
    return tuple(out)


def _overfit(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    breached = _breached(decision, "gap", "relative_gap", "holdout_gap")
    if not breached or ev.gap is None:
        return ()
    worst = breached[0]
    if worst.value is None:
        return ()
    limit = "" if worst.limit is None else f" against a limit of {worst.limit:g}"
    return (
        f"Regularise until {worst.name} ({worst.value:.3f}{limit}) is within the policy: stronger penalty "
        "(smaller C, larger alpha), fewer features, or dropout/weight decay.",
    )


_LABELS: dict[str, Callable[[Evidence, Decision], tuple[str, ...]]] = {
    "leakage": _leakage,
    "shift": _shift,
    "underfit": _underfit,
    "noise": _noise,
    "overfit": _overfit,
}

#: ``{how a specific line starts: how the general line it replaces starts}``, so nothing is said twice.
_REPLACED = {
    "De-duplicate": "De-duplicate",
    "Drop or rebuild": "Drop or rebuild",
    "Relabel": "Relabel",
    "Regularise": "Regularise",
    "The columns that moved": "Inspect",
    "If the shift in": "If the shift is real",
}


def label_advice(label: str, evidence: Evidence, decision: Decision, general: tuple[str, ...]) -> tuple[str, ...]:
    """The mitigations of a diagnosis label: specific lines naming the finding, then the general advice they do not
    replace (for ``leakage``, only the specific lines: no column advice when only copied rows were found).

    Args:
        label: The diagnosis label.
        evidence: What was computed.
        decision: The judged checks.
        general: The label's general advice.

    Returns:
        The mitigations, specific first.
    """
    specific = _LABELS.get(label, lambda ev, d: ())(evidence, decision)
    if label == "leakage" and specific:
        return specific
    replaced = {general_start for start, general_start in _REPLACED.items() if any(s.startswith(start) for s in specific)}
    return specific + tuple(g for g in general if not any(g.startswith(w) for w in replaced))


def rule_advice(check: Check, evidence: Evidence, decision: Decision) -> str:
    """One line of advice for a breached check outside the diagnosis label's own, naming what it found."""
    for label, prefixes in COVERS.items():
        if label in _LABELS and _named(check, *prefixes):
            lines = _LABELS[label](evidence, decision)
            if lines:
                return lines[0]
    champ = evidence.champion
    if check.value is None:
        return f"Fix what the {check.name} check found: {check.message}"
    if check.name == "champion_regression" and champ is not None:
        return (
            f"Keep production {champ.version}: the candidate scores {check.value:.3f} below it. Compare the "
            "training data of both versions before retraining again."
        )
    if check.name == "champion_gap_increase" and champ is not None:
        return (
            f"The gap grew by {check.value:.3f} over production {champ.version}'s: regularise, or find what "
            "changed in the training data since that version."
        )
    if check.name == "trend":
        return (
            f"The gap widened by {check.value:.3f} across the last runs of this model: look at what changed "
            "in the data or the model since the earliest of them (gapgates history)."
        )
    if _named(check, "calibration"):
        return (
            f"Calibrate the probabilities ({check.message}): wrap the model in sklearn's CalibratedClassifierCV "
            "(sigmoid on few rows, isotonic on many) and check the reliability curve again."
        )
    if _named(check, "segments"):
        return (
            f"Look at the weak segment ({check.message}): audit its labels, add rows or features that describe "
            "it, or give it its own model; report.json segments lists it with its rows."
        )
    if _named(check, "data_issues"):
        return (
            f"Clean the training rows ({check.message}): drop exact and near duplicates (or split them by "
            "entity with --group), resolve conflicting labels, review the outliers Datalab flagged."
        )
    if check.name == "model_outputs":
        return f"Fix the model's outputs before trusting any score: {check.message}"
    return f"Fix what the {check.name} check found: {check.message}"
