"""What is wrong in the training rows (``evidence`` step, no fit of the model): cleanlab's Datalab audit.

Exact and near duplicates, copies with another label, outliers (and class imbalance), from the features and the
out-of-fold probabilities. Rules ``data_issues:*`` (``[data_issues]``, every limit off by default).

Datalab's audit reads only the features and the labels (see :mod:`gapgates.compute.datalab`), so a capacity
sweep, which runs the evidence step once per value on the same rows, reuses the last audit of the same rows in
the same process (:data:`_LAST_AUDIT`) instead of asking Datalab again.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np

from gapgates.format import score
from gapgates.judge.checks import Check, Measured, RuleSpec
from gapgates.measurements.base import Context, Measurement, Section, named

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["DATA_ISSUES"]

#: ``(key, audit)`` of the last Datalab audit in this process (the key names the rows, labels and options).
_LAST_AUDIT: list[tuple[str, Any]] = []


def _compute(ctx: Context) -> Any:
    """Datalab's audit of the training rows, reused when the last one in this process was of the same rows."""
    from gapgates.compute.datalab import data_issues

    prep, gap = ctx.prep, ctx.gap
    if gap is None:
        return None
    train, cv = prep.train, gap.cv
    digest = hashlib.sha256()
    for part in (
        prep.fingerprint,
        repr(tuple(train.X.columns)),
        repr(prep.policy.data_issues.max_rows),
        repr(prep.config.seed),
        repr(prep.classification),
    ):
        digest.update(part.encode())
    for array in (
        np.asarray(train.X.index),
        np.asarray(cv.covered, dtype=bool),
        np.asarray([] if cv.classes is None else cv.classes, dtype=str),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    key = digest.hexdigest()
    if _LAST_AUDIT and _LAST_AUDIT[0][0] == key:
        return _LAST_AUDIT[0][1]
    found = data_issues(
        cv, train.X, train.y, classification=prep.classification, max_rows=prep.policy.data_issues.max_rows, seed=prep.config.seed
    )
    _LAST_AUDIT[:] = [(key, found)]
    return found


def _rate(check: str, issue: str, what: str) -> Any:
    def measure(found: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
        rate = found.rate(issue)
        if rate is None:
            return f"Datalab did not look for {what}."
        sample = f" in a sample of {found.rows}" if found.sampled else f" of {found.rows}"
        return [Measured(check, rate, f"Share of training rows{sample} that are {what}")]

    return measure


def _advice(check: Check, ev: Evidence) -> str | None:
    if not named(check, "data_issues") or check.value is None:
        return None
    return (
        f"Clean the training rows ({check.message}): drop exact and near duplicates (or split them by "
        "entity with --group), resolve conflicting labels, review the outliers Datalab flagged."
    )


def _markdown(report: dict[str, Any]) -> list[str]:
    d = report.get("data_issues")
    if not isinstance(d, dict):
        return []
    sample = f" (a random sample of {d.get('rows')} of {d.get('total_rows')} rows)" if d.get("sampled") else ""
    lines = [
        "## Training-data issues (cleanlab Datalab)",
        "",
        f"Exact duplicates: {d.get('exact_duplicates')} rows; conflicting labels: "
        f"{'–' if d.get('conflicting_labels') is None else d.get('conflicting_labels')} rows{sample}.",
        "",
        "| issue | rows | share | score |",
        "|---|---:|---:|---:|",
    ]
    for name, v in (d.get("summary") or {}).items():
        lines.append(f"| {name} | {v.get('issues')} | {score(v.get('rate'))} | {score(v.get('score'))} |")
    return [*lines, ""]


_MISSING = "It was not computed."

DATA_ISSUES = Measurement(
    name="data_issues",
    step="evidence",
    compute=_compute,
    rules=(
        RuleSpec(
            "data_issues:duplicates",
            "data_issues",
            "data_issues.max_duplicate_rate",
            _rate("data_issues:duplicates", "exact_duplicate", "exact copies of another row"),
            missing=_MISSING,
        ),
        RuleSpec(
            "data_issues:near_duplicates",
            "data_issues",
            "data_issues.max_near_duplicate_rate",
            _rate("data_issues:near_duplicates", "near_duplicate", "near duplicates"),
            missing=_MISSING,
        ),
        RuleSpec(
            "data_issues:conflicting_labels",
            "data_issues",
            "data_issues.max_conflicting_rate",
            _rate("data_issues:conflicting_labels", "conflicting_label", "copies of a row with another label"),
            missing=_MISSING,
        ),
        RuleSpec(
            "data_issues:outliers",
            "data_issues",
            "data_issues.max_outlier_rate",
            _rate("data_issues:outliers", "outlier", "outliers"),
            missing=_MISSING,
        ),
    ),
    advice=_advice,
    section=Section(
        keys=("data_issues",),
        json=lambda ev: {} if ev.data_issues is None else {"data_issues": ev.data_issues.to_dict()},
        schema="data_issues.json",
        markdown=_markdown,
        html="data_issues.html.j2",
    ),
)
