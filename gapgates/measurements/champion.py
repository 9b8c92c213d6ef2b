"""The candidate against production (``comparison`` step, with ``--registry``): the production model scored on the
same folds and holdout.

Rules ``champion_regression`` (``[champion] max_regression``: the drop of the primary test score, on the holdout
when both have one) and ``champion_gap_increase`` (``max_gap_increase`` over production's recorded gap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import fmt, is_number
from gapgates.judge.checks import Check, Measured, RuleSpec
from gapgates.measurements.base import Context, Incomplete, Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["CHAMPION", "champion_rows"]


def _compute(ctx: Context) -> Any:
    """The production model of ``config.registry`` scored on the gap's folds and the holdout (None without a
    registry); one that cannot be loaded or scored fails the champion rules."""
    from gapgates.compute.champion import no_champion, score_champion
    from gapgates.errors import first_line

    prep = ctx.prep
    registry, metric = prep.config.registry, prep.metrics[0]
    if registry is None or ctx.gap is None:
        return None
    from gapgates.registry import open_registry  # the registry code, only for a run with a registry

    try:
        reg = open_registry(registry, model_name=prep.config.model_name, alias=prep.config.alias)
        version = reg.production
        if version is None:
            return no_champion(metric, f"No production model in {registry} yet: this is the first candidate.")
        recorded = ((reg.info(version).metadata.get("gap") or {}).get(metric) or {}).get("gap_mean")
        hold = None if prep.holdout is None else (prep.holdout.X, prep.holdout.y)
        return score_champion(
            reg.load(version),
            prep.train.X,
            prep.train.y,
            splits=ctx.gap.cv.splits,
            metric=metric,
            version=version,
            recorded_gap=recorded,
            holdout=hold,
        )
    except Exception as err:  # a champion that cannot be loaded or scored blocks
        raise Incomplete(f"production in {registry} could not be scored: {first_line(err)}", None) from err


def _no_comparison(champ: Any, ev: Evidence) -> str | None:
    """Why the candidate cannot be compared with production, or None when it can."""
    if champ.version is None:
        return champ.reason or "There is no production model to compare with."
    return "The gap was not computed." if ev.gap is None else None


def _champion_regression(champ: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if (why := _no_comparison(champ, ev)) is not None or ev.gap is None:
        return why or ""
    primary, held = ev.gap.primary, ev.holdout
    if held is not None and champ.holdout is not None and primary.metric in held.test:
        drop, where = champ.holdout - held.test[primary.metric], "holdout"
    else:
        drop, where = champ.test_mean - primary.test_mean, "fold test rows"
    return [Measured("champion_regression", drop, f"Drop in {primary.metric} versus production {champ.version} ({where})")]


def _champion_gap_increase(champ: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if (why := _no_comparison(champ, ev)) is not None or ev.gap is None:
        return why or ""
    primary = ev.gap.primary
    if champ.recorded_gap is None:
        return f"Production {champ.version} has no recorded {primary.metric} gap to compare with."
    return [
        Measured(
            "champion_gap_increase",
            primary.gap_mean - champ.recorded_gap,
            f"Increase of the mean {primary.metric} gap versus production {champ.version}",
        )
    ]


def _advice(check: Check, ev: Evidence) -> str | None:
    champ = ev.champion
    if champ is None or check.value is None:
        return None
    if check.name == "champion_regression":
        return (
            f"Keep production {champ.version}: the candidate scores {check.value:.3f} below it. Compare the "
            "training data of both versions before retraining again."
        )
    if check.name == "champion_gap_increase":
        return (
            f"The gap grew by {check.value:.3f} over production {champ.version}'s: regularise, or find what "
            "changed in the training data since that version."
        )
    return None


def _minus(a: Any, b: Any) -> float | None:
    return float(a) - float(b) if is_number(a) and is_number(b) else None


def champion_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Challenger (this run) beside champion (production) on the primary metric; [] without a champion.

    Rows: mean test score on the same folds, holdout score (when there is a holdout) and the gap
    (the champion's as recorded when it was registered), each with ``challenger − champion``.
    """
    champ = report.get("champion")
    if not isinstance(champ, dict) or champ.get("version") is None:
        return []
    metric = champ.get("metric")
    gap = (report.get("gap") or {}).get(metric) or {}
    hold = (report.get("holdout") or {}).get(metric) or {}
    rows = [(f"{metric}, mean of the same test folds", gap.get("test_mean"), champ.get("test_mean"))]
    if hold or champ.get("holdout") is not None:
        rows.append((f"{metric} on the holdout", hold.get("test"), champ.get("holdout")))
    rows.append((f"{metric} gap (train − test; champion's as recorded)", gap.get("gap_mean"), champ.get("recorded_gap")))
    return [{"what": what, "challenger": a, "champion": b, "difference": _minus(a, b)} for what, a, b in rows]


def _markdown(report: dict[str, Any]) -> list[str]:
    champ = report.get("champion")
    if not isinstance(champ, dict):
        return []
    lines = ["## Champion vs challenger", ""]
    rows = champion_rows(report)
    if rows:
        lines += [f"| | challenger | champion {champ.get('version')} | challenger − champion |", "|---|---:|---:|---:|"]
        lines += [f"| {r['what']} | {fmt(r['challenger'])} | {fmt(r['champion'])} | {fmt(r['difference'])} |" for r in rows]
        lines += [""]
    if champ.get("reason"):
        lines += [str(champ["reason"]), ""]
    return lines


_NO_CHAMPION = "No registry was given, so there is no champion to compare with."

CHAMPION = Measurement(
    name="champion",
    step="comparison",
    compute=_compute,
    rules=(
        RuleSpec("champion_regression", "champion", "champion.max_regression", _champion_regression, missing=_NO_CHAMPION),
        RuleSpec("champion_gap_increase", "champion", "champion.max_gap_increase", _champion_gap_increase, missing=_NO_CHAMPION),
    ),
    advice=_advice,
    section=Section(
        keys=("champion",),
        required=("champion",),
        json=lambda ev: {"champion": None if ev.champion is None else ev.champion.to_dict()},
        schema="champion.json",
        markdown=_markdown,
        html="champion.html.j2",
        context=lambda report: {"champion_rows": champion_rows(report)},
    ),
)
