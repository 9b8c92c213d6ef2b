"""The recall of every class (``evidence`` step, no fit): does the model find each class, the rare ones too?

A classifier can score well on accuracy while it almost never predicts a minority class. This measurement reads
the gap pass's out-of-fold predictions and gives the recall of each class with the lower bound of its Wilson
interval; the rule ``recall:min_per_class`` (``[recall] min_per_class``, off by default: this module declares the
``[recall]`` table of the policy) fails when the worst class's recall is below the limit. It is the worked
example of docs/contributing.md, "Adding a measurement": the compute call, the evidence, the rule, the advice and the report
section of one measurement, in one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from gapgates.format import fmt
from gapgates.judge.checks import Check, Measured, RuleSpec
from gapgates.judge.policy import Between, PolicySection, RuleField
from gapgates.measurements.base import Context, Measurement, Section, Table, named

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["RECALL", "ClassRecall", "RecallPolicy", "class_recall"]


class RecallPolicy(PolicySection):
    """``[recall]``: the recall of every class (classifiers).

    Attributes:
        min_per_class: The smallest accepted out-of-fold recall of any class (off by default).
    """

    min_per_class: Annotated[RuleField, Between(0, 1)] = None


@dataclass(frozen=True)
class ClassRecall:
    """The out-of-fold recall of every class.

    Attributes:
        per_class: ``{class: {"recall", "low", "support"}}``: the share of the class's rows predicted as that class,
            the lower bound of its 95 % Wilson interval, and its rows.
        worst: The class with the lowest recall.
    """

    per_class: dict[str, dict[str, float]]
    worst: str

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``recall`` section."""
        return {"per_class": self.per_class, "worst": self.worst}


def class_recall(y: Any, predicted: Any, covered: Any) -> ClassRecall:
    """The recall of every class from out-of-fold predictions (rows never tested left out).

    Example:
        >>> class_recall([0, 0, 1, 1], [0, 0, 0, 1], [True] * 4).per_class["1"]["recall"]
        0.5
    """
    import numpy as np

    from gapgates.compute.production import wilson_interval
    from gapgates.format import plain

    mask = np.asarray(covered, dtype=bool)
    target, pred = np.asarray(y)[mask], np.asarray(predicted)[mask]
    per_class = {}
    for label in np.unique(target):
        rows = target == label
        hits = int((pred[rows] == label).sum())
        low, _ = wilson_interval(hits, int(rows.sum()))
        per_class[str(plain(label))] = {
            "recall": round(hits / int(rows.sum()), 6),
            "low": round(low, 6),
            "support": int(rows.sum()),
        }
    worst = min(per_class, key=lambda k: per_class[k]["recall"])
    return ClassRecall(per_class=per_class, worst=worst)


def _compute(ctx: Context) -> ClassRecall | None:
    """Only for classifiers, and only when the policy sets the limit (nothing in the report otherwise)."""
    section = getattr(ctx.prep.policy, "recall", None)
    if not ctx.prep.classification or ctx.gap is None or section is None or section.min_per_class is None:
        return None
    return class_recall(ctx.prep.train.y, ctx.gap.cv.oof_pred, ctx.gap.cv.covered)


def _worst_recall(found: ClassRecall, ev: Evidence, policy: Policy) -> list[Measured]:
    worst = found.per_class[found.worst]
    return [
        Measured(
            "recall:min_per_class",
            worst["recall"],
            f"Out-of-fold recall of class '{found.worst}', the lowest of any class ({int(worst['support'])} rows)",
        )
    ]


def _advice(check: Check, ev: Evidence) -> str | None:
    found = ev.recall
    if not named(check, "recall") or found is None:
        return None
    return (
        f"The model misses class '{found.worst}' ({check.message}): weight the classes (class_weight='balanced'), "
        "resample the rare class, or move the decision threshold; then check this class's recall again."
    )


def _markdown(report: dict[str, Any]) -> list[str]:
    section = report.get("recall")
    if not isinstance(section, dict):
        return []
    lines = ["## Recall per class", "", "| class | recall | 95 % lower bound | rows |", "|---|---:|---:|---:|"]
    for label, c in (section.get("per_class") or {}).items():
        lines.append(f"| {label} | {fmt(c.get('recall'))} | {fmt(c.get('low'))} | {c.get('support')} |")
    return [*lines, ""]


def _tables(report: dict[str, Any]) -> list[Table]:
    per_class = (report.get("recall") or {}).get("per_class") or {}
    rows = [{"class": label, **values} for label, values in per_class.items()]
    return [Table("recall", "Out-of-fold recall per class of {name}", rows)] if rows else []


_SCHEMA = {
    "properties": {
        "recall": {
            "type": "object",
            "description": "The out-of-fold recall of every class (with [recall] min_per_class set).",
            "additionalProperties": False,
            "required": ["per_class", "worst"],
            "properties": {
                "per_class": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["recall", "low", "support"],
                        "properties": {
                            "recall": {"type": "number", "minimum": 0, "maximum": 1},
                            "low": {"type": "number", "minimum": 0, "maximum": 1},
                            "support": {"type": "integer", "minimum": 1},
                        },
                    },
                },
                "worst": {"type": "string"},
            },
        }
    }
}

RECALL = Measurement(
    name="recall",
    step="evidence",
    compute=_compute,
    result=ClassRecall,
    rules=(
        RuleSpec(
            "recall:min_per_class",
            "recall",
            "recall.min_per_class",
            _worst_recall,
            at_most=False,
            missing="Recall per class is measured for classifiers only.",
        ),
    ),
    advice=_advice,
    policy=("recall", RecallPolicy),
    section=Section(
        keys=("recall",),
        json=lambda ev: {} if ev.recall is None else {"recall": ev.recall.to_dict()},
        schema=_SCHEMA,
        markdown=_markdown,
        html="recall.html.j2",
        tables=_tables,
    ),
)
