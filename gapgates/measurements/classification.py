"""How the model errs (``evidence`` step, no fit), from the gap's out-of-fold predictions.

Two measurements: ``classification`` (confusion matrix, per-class precision/recall/F1, ROC and
precision–recall curves, the reliability curve and the expected calibration error; rule ``calibration:ece``,
``[calibration] max_ece``, off by default) and ``regression`` (residuals and the error by target quantile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import score
from gapgates.judge.checks import Check, Measured, RuleSpec
from gapgates.measurements.base import Context, Measurement, Section, named

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["CLASSIFICATION", "MAX_CLASSES", "REGRESSION"]

#: Classes listed in the Markdown and HTML tables (report.json keeps every one).
MAX_CLASSES = 20


def _classification(ctx: Context) -> Any:
    from gapgates.compute.classification import classification_evidence

    if not ctx.prep.classification or ctx.gap is None:
        return None
    return classification_evidence(ctx.gap.cv, ctx.prep.train.y)


def _regression(ctx: Context) -> Any:
    from gapgates.compute.classification import regression_evidence

    if ctx.prep.classification or ctx.gap is None:
        return None
    return regression_evidence(ctx.gap.cv, ctx.prep.train.y, seed=ctx.prep.config.seed)


def _ece(cls: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if cls.ece is None:
        return "The model gives no probabilities (predict_proba), so its calibration was not measured."
    of = (cls.reliability or {}).get("of", "")
    return [Measured("calibration:ece", cls.ece, f"Expected calibration error of the out-of-fold probabilities ({of})")]


def _advice(check: Check, ev: Evidence) -> str | None:
    if not named(check, "calibration") or check.value is None:
        return None
    return (
        f"Calibrate the probabilities ({check.message}): wrap the model in sklearn's CalibratedClassifierCV "
        "(sigmoid on few rows, isotonic on many) and check the reliability curve again."
    )


def _classification_markdown(report: dict[str, Any]) -> list[str]:
    cls = report.get("classification")
    if not isinstance(cls, dict):
        return []
    lines = ["## How the model errs", ""]
    if cls.get("ece") is not None:
        lines += [
            f"Expected calibration error ({(cls.get('reliability') or {}).get('of')}, {cls.get('ece_bins')} bins): "
            f"{score(cls['ece'])}.",
            "",
        ]
    lines += ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label, v in list((cls.get("per_class") or {}).items())[:MAX_CLASSES]:
        lines.append(
            f"| {label} | {score(v.get('precision'))} | {score(v.get('recall'))} | {score(v.get('f1'))} | {v.get('support')} |"
        )
    aucs = [f"{c.get('label')} {score((c.get('roc') or {}).get('auc'))}" for c in cls.get("curves") or []]
    return [*lines, "", *([f"ROC AUC (one-vs-rest): {', '.join(aucs)}.", ""] if aucs else [])]


def _regression_markdown(report: dict[str, Any]) -> list[str]:
    reg = report.get("regression")
    if not isinstance(reg, dict):
        return []
    lines = ["## How the model errs", "", "| target bin | rows | MAE | bias |", "|---|---:|---:|---:|"]
    for b in reg.get("by_quantile") or []:
        lines.append(
            f"| [{score(b.get('low'))}, {score(b.get('high'))}] | {b.get('rows')} | {score(b.get('mae'))} | "
            f"{score(b.get('bias'))} |"
        )
    return [*lines, ""]


def _classification_charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report.charts import confusion_chart, curves_chart, reliability_chart

    cls = report.get("classification")
    charts: dict[str, str] = {}
    if not isinstance(cls, dict):
        return charts
    if cls.get("classes") and cls.get("confusion"):
        charts["confusion"] = confusion_chart(cls["classes"], cls["confusion"])
    if cls.get("curves"):
        charts["curves"] = curves_chart(cls["curves"])
    if isinstance(cls.get("reliability"), dict):
        charts["reliability"] = reliability_chart(cls["reliability"], ece=cls.get("ece"))
    return charts


def _regression_charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report.charts import residual_chart

    return {"residuals": residual_chart(report["regression"])} if isinstance(report.get("regression"), dict) else {}


CLASSIFICATION = Measurement(
    name="classification",
    step="evidence",
    compute=_classification,
    rules=(
        RuleSpec(
            "calibration:ece",
            "classification",
            "calibration.max_ece",
            _ece,
            missing="There is no classification evidence (a regressor, or it was not computed).",
        ),
    ),
    advice=_advice,
    section=Section(
        keys=("classification",),
        json=lambda ev: {} if ev.classification is None else {"classification": ev.classification.to_dict()},
        schema="classification.json",
        markdown=_classification_markdown,
        html="classification.html.j2",
        charts=_classification_charts,
    ),
)

REGRESSION = Measurement(
    name="regression",
    step="evidence",
    compute=_regression,
    section=Section(
        keys=("regression",),
        json=lambda ev: {} if ev.regression is None else {"regression": ev.regression.to_dict()},
        schema="regression.json",
        markdown=_regression_markdown,
        html="regression.html.j2",
        charts=_regression_charts,
    ),
)
