"""Label noise: the labels cleanlab flags from the gap's out-of-fold probabilities, with the gap without them.

Two measurements: ``noise`` (``evidence`` step, no fit: :func:`gapgates.compute.noise.label_noise` and the
noise-adjusted gap) and ``noise_reference`` (``comparison`` step: the noise rate of the last accepted data, the
registry's production version or the history's last promoted run). Rules ``label_noise`` (``[noise] max_rate``),
``label_noise:increase`` (``max_rate_increase`` over the reference), ``label_noise:class``
(``max_class_rate``) and, on a first run (no reference), ``label_noise:confident`` (``max_confident_error_ratio``:
labels contradicted among the model's surest rows about as often as anywhere, the mark of random flips). Diagnoses
``noise`` when ``label_noise:confident`` is breached, or another ``label_noise*`` rule is and either the fold models
do not reproduce the flagged labels they were trained on, or nothing says overfit (no gap that costs held-out score,
no memorising model under the dummy's floor): the breached noise rule is then the block's best explanation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gapgates.format import fmt
from gapgates.judge.checks import Measured, RuleSpec
from gapgates.measurements.base import Context, Diagnoser, Measurement, Section, breached, listed

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["MEMORISED_LIMIT", "NOISE", "NOISE_REFERENCE", "confident_view", "confident_views"]

MEMORISED_LIMIT = 0.5  # share of flagged labels reproduced on training folds above which it is memorisation


# --- compute ----------------------------------------------------------------------------------------------------------


def _compute(ctx: Context) -> Any:
    from gapgates.compute.noise import label_noise
    from gapgates.compute.noise_adjusted import noise_adjusted_gap

    prep, gap = ctx.prep, ctx.gap
    if gap is None:
        return None
    policy = prep.policy.noise
    noise = label_noise(gap.cv, prep.train.y, filter_by=policy.filter_by, confident_share=policy.confident_share)
    if noise.skipped is None:
        adjusted = noise_adjusted_gap(gap, prep.train.X, prep.train.y, noise.positions, scoring=prep.metrics)
        noise = replace(noise, adjusted=adjusted)
    return noise


def _reference(ctx: Context) -> Any:
    """The noise rate of the registry's production version or, without a registry, of the history's last promoted
    run of this model (None with neither); a registry or history that cannot be read fails the noise rules."""
    from gapgates.compute.noise_reference import from_history, from_registry
    from gapgates.history import History, estimator_of

    config = ctx.prep.config
    identity = estimator_of(config)
    if config.registry is not None:
        from gapgates.registry import open_registry  # the registry code, only for a run with a registry

        reg = open_registry(config.registry, model_name=config.model_name, alias=config.alias)
        version = reg.production
        metadata = None if version is None else reg.info(version).metadata
        return from_registry(version, metadata, where=str(config.registry), model=identity)
    if config.history_path is not None:
        runs = History(config.history_path).runs(model=config.model_name, kind="gate")
        return from_history(runs, model=config.model_name, estimator=identity)
    return None


# --- rules ------------------------------------------------------------------------------------------------------------


def _noise_rate(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    return [Measured("label_noise", noise.rate, f"Share of labels cleanlab flags ({noise.n_issues} of {noise.rows})")]


_NO_REFERENCE = (
    "No registry or run history is configured (give --registry, --history or --out), so there is no "
    "reference noise rate to compare with; [noise] max_rate still applies."
)


def _noise_increase(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    what = "Increase of the share of flagged labels over the reference"
    if "noise_reference" in ev.errors:
        return [Measured("label_noise:increase", None, f"{what} ({ev.errors['noise_reference']})")]
    ref = ev.noise_reference
    if ref is None:
        return _NO_REFERENCE
    if ref.rate is None:
        return f"{ref.reason} [noise] max_rate still applies."
    return [
        Measured(
            "label_noise:increase",
            noise.rate - ref.rate,
            f"Flagged-label share {noise.rate:.1%} minus the {ref.rate:.1%} of {ref.describe()}",
        )
    ]


def confident_view(ev: Evidence) -> tuple[Any, str]:
    """The contradictions ``label_noise:confident`` judges, and whose: the strong baseline's references' when they
    have them (the highest ratio among them), else the candidate's own.

    Random flips contradict a model wherever it is sure, unless it memorises the labels it is trained on: boosting
    without early stopping or a deep forest fits the flips and hides them from its own surest rows, while a reference
    that cannot absorb them (a linear model, boosting with early stopping) still shows them. On clean hard data
    every model hesitates where the labels are hard, so no reference shows the spread.
    """
    noise, strong = ev.noise, ev.strong_baseline
    views = [] if strong is None else [r for r in strong.references if r.confident is not None and r.confident.ratio is not None]
    if views:
        top = max(views, key=lambda r: r.confident.ratio)
        return top.confident, f"the reference {top.name}"
    return (None if noise is None else noise.confident), "the model"


def _references_said(ev: Evidence) -> str:
    """`` (references' ratios: hgb 0.95, linear 0.31; forest not fitted)`` for the check's message, or nothing."""
    strong = ev.strong_baseline
    if strong is None:
        return ""
    said = [f"{r.name} {fmt(r.confident.ratio)}" for r in strong.references if r.confident is not None]
    return f" (references' ratios: {', '.join(said)}; the highest is judged)" if said else ""


def _noise_confident(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    if "noise_reference" in ev.errors:
        return [Measured("label_noise:confident", None, f"Contradicted surest labels ({ev.errors['noise_reference']})")]
    ref = ev.noise_reference
    if ref is not None and ref.rate is not None:
        return f"A reference noise rate exists ({ref.describe()}): [noise] max_rate_increase judges instead."
    if "strong_baseline" in ev.errors and getattr(policy, "baseline", None) is not None and policy.baseline.models:
        # the references judge this rule: the model's own view (which memorised flips hide from) is no stand-in
        return [Measured("label_noise:confident", None, f"Contradicted surest labels ({ev.errors['strong_baseline']})")]
    c, whose = confident_view(ev)
    if c is None or c.ratio is None:
        return (
            f"The probabilities of {whose} do not rank the rows (most tie at the top, e.g. an unbounded tree or 1-NN), "
            "so contradictions among its surest rows cannot be told apart."
        )
    return [
        Measured(
            "label_noise:confident",
            c.ratio,
            f"Labels contradicted among the {c.confident_rows} rows {whose} is surest of ({c.confident_rate:.1%}) "
            f"over all rows ({c.error_rate:.1%}){_references_said(ev)}; random flips land anywhere",
        )
    ]


def _noise_class_rate(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    return [Measured("label_noise:class", noise.max_class_rate, "Largest share of flagged labels within one class")]


_NOT_COMPUTED = "Label noise was not computed."


# --- diagnosis --------------------------------------------------------------------------------------------------------


def _noise(ev: Evidence, decision: Decision) -> str | None:
    from gapgates.measurements.gap import claims_overfit

    nz = ev.noise
    if nz is None or nz.skipped or nz.rate is None or not breached(decision, "label_noise"):
        return None
    adj = nz.adjusted
    memorised = None if adj is None else adj.memorised
    c, whose = confident_view(ev)
    spread = c is not None and c.confident_rate is not None and breached(decision, "label_noise:confident")
    if not spread and memorised is not None and memorised >= MEMORISED_LIMIT and claims_overfit(ev, decision):
        return None  # flagged rows the fold models reproduce, without the spread of flips: overfitting, not labels
    text = f"cleanlab flags {nz.n_issues} of {nz.rows} labels ({nz.rate:.1%}) as likely wrong"
    if spread and c is not None and c.confident_rate is not None:
        text += (
            f"; {c.confident_rate:.1%} of the {c.confident_rows} rows {whose} is surest of carry another label, "
            f"against {c.error_rate:.1%} over all rows: contradictions spread evenly, as random label flips do"
        )
    ref = ev.noise_reference
    if ref is not None and ref.rate is not None and breached(decision, "label_noise:increase"):
        text += f", {(nz.rate - ref.rate) * 100:+.1f} points over the {ref.rate:.1%} of {ref.describe()}"
    if memorised is not None and memorised >= MEMORISED_LIMIT:
        text += (
            f"; the fold models reproduce {memorised:.0%} of those labels when trained on them, yet nothing says "
            "overfit (no gap that costs held-out score)"
        )
    elif memorised is not None:
        text += f"; the fold models reproduce only {memorised:.0%} of those labels when trained on them"
    p = None if ev.gap is None else ev.gap.primary
    a = None if adj is None or p is None else adj.metrics.get(p.metric)
    if p is not None and a is not None:
        text += (
            f". Without the flagged rows the test {p.metric} is {a.test_mean:.3f} instead of {p.test_mean:.3f} "
            f"and the gap {a.gap_mean:.3f} instead of {p.gap_mean:.3f}"
        )
    return text + "."


def _noise_advice(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    nz, ref = ev.noise, ev.noise_reference
    if nz is None or nz.skipped:
        return ()
    out = []
    if breached(decision, "label_noise:increase") and ref is not None and ref.rate is not None:
        out.append(
            f"Audit the labelling pipeline since {ref.describe()}: the flagged share rose from {ref.rate:.1%} "
            f"to {nz.rate:.1%}. Compare the labelling guidelines, annotators and data sources of the rows "
            "added since then."
        )
    if breached(decision, "label_noise:class") and nz.per_class:
        label, stats = max(nz.per_class.items(), key=lambda item: item[1].get("rate", 0.0))
        out.append(f"Start with class {label!r}: {stats.get('rate', 0.0):.1%} of its labels are flagged, the most of any class.")
    worst = listed([i.row for i in nz.issues])
    out.append(
        f"Relabel the {nz.n_issues} flagged rows (report.json noise.issues, worst first: rows {worst}) or drop "
        "them before training."
    )
    return tuple(out)


NOISE_LABEL = Diagnoser(
    label="noise",
    order=40,
    holds=_noise,
    covers=("label_noise",),
    advice=(
        "Relabel the flagged rows (report.json noise.issues, worst first) or drop them before training.",
        "Use a noise-robust approach: cleanlab's CleanLearning, label smoothing or a robust loss.",
    ),
    specific=_noise_advice,
    replaces={"Relabel": "Relabel"},
)


# --- report section ---------------------------------------------------------------------------------------------------


def _json(ev: Evidence) -> dict[str, Any]:
    noise = ev.noise
    section = None if noise is None else noise.to_dict()
    if section is not None and ev.noise_reference is not None:
        section["reference"] = ev.noise_reference.to_dict()
    adjusted = None if noise is None or noise.adjusted is None else noise.adjusted.to_dict()
    return {"noise": section, "noise_adjusted": adjusted}


def _reference_text(reference: Any) -> str:
    """``; reference 12.0% (production version 3)`` for a noise section's reference, or why there is none."""
    if not isinstance(reference, dict):
        return ""
    if reference.get("rate") is None:
        return f"; no reference rate: {reference.get('reason')}"
    where = (
        f"production version {reference.get('version')}"
        if reference.get("source") == "registry"
        else f"last promoted run, {reference.get('version')}"
    )
    return f"; reference {fmt(reference['rate'])} ({where})"


def _summary(report: dict[str, Any]) -> list[str]:
    noise, adj = (report.get(k) or {} for k in ("noise", "noise_adjusted"))
    lines = []
    if noise.get("skipped"):
        lines.append(f"- Label noise: skipped ({noise['skipped']})")
    elif noise.get("n_issues") is not None and noise.get("rows"):
        lines.append(
            f"- Label noise: {noise['n_issues']} of {noise['rows']} rows flagged ({fmt(noise.get('rate'))})"
            + _reference_text(noise.get("reference"))
        )
    metrics = adj.get("metrics") or {}
    if metrics:
        primary = report.get("primary_metric")
        g = metrics.get(primary) or next(iter(metrics.values()))
        lines.append(f"- Noise-adjusted gap ({primary}): {fmt(g.get('gap_mean'))}, test {fmt(g.get('test_mean'))}")
    return lines


def confident_views(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """From a report.json: ``(who, confident section)`` of the model's own view, then each strong-baseline reference's
    (the report's noise table; the references' rows only when they have a view)."""
    n = report.get("noise")
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(n, dict) and isinstance(n.get("confident"), dict) and n["confident"].get("confident_rate") is not None:
        out.append(("the model", n["confident"]))
    strong = report.get("strong_baseline")
    references = strong.get("references") if isinstance(strong, dict) else None
    for r in references if isinstance(references, list) else []:
        if isinstance(r, dict) and isinstance(r.get("confident"), dict) and r["confident"].get("confident_rate") is not None:
            out.append((f"reference {r.get('name')}", r["confident"]))
    return out


def _markdown(report: dict[str, Any]) -> list[str]:
    n = report.get("noise")
    if not isinstance(n, dict) or n.get("skipped"):
        return []
    rate = n.get("rate")
    head = f"{rate:.1%} of rows look mislabelled" if isinstance(rate, (int, float)) else "Label noise"
    lines = ["## Label noise", "", f"{head} ({n.get('n_issues', '–')} of {n.get('rows', '–')} rows).", ""]
    views = confident_views(report)
    if views:
        lines += [
            "Labels contradicted among the rows each model is surest of, against over all rows (random flips: a ratio "
            "near 1; a first run judges the highest of the references' ratios, the model's own without them):",
            "",
            "| model | surest rows | contradicted there | over all rows | ratio |",
            "|---|---:|---:|---:|---:|",
        ]
        keys = ("confident_rows", "confident_rate", "error_rate", "ratio")
        lines += [f"| {who} | " + " | ".join(fmt(c.get(k)) for k in keys) + " |" for who, c in views]
        lines.append("")
    per_class = {k: c for k, c in (n.get("per_class") or {}).items() if isinstance(c, dict)}
    if per_class:
        lines += ["| class | rows | flagged | flagged share | estimated noise |", "|---|---:|---:|---:|---:|"]
        keys = ("rows", "issues", "rate", "estimated_noise")
        lines += [f"| {label} | " + " | ".join(fmt(c.get(k)) for k in keys) + " |" for label, c in per_class.items()]
        lines.append("")
    issues = [i for i in n.get("issues") or [] if isinstance(i, dict)][:5]
    if issues:
        lines += ["| row | given | suggested | quality |", "|---:|---|---|---:|"]
        keys = ("row", "given", "suggested", "quality")
        lines += ["| " + " | ".join(fmt(i.get(k)) for k in keys) + " |" for i in issues]
        lines.append("")
    return lines


NOISE = Measurement(
    name="noise",
    step="evidence",
    compute=_compute,
    failure="label noise could not be computed",
    rules=(
        RuleSpec("label_noise", "noise", "noise.max_rate", _noise_rate, missing=_NOT_COMPUTED),
        RuleSpec("label_noise:increase", "noise", "noise.max_rate_increase", _noise_increase, missing=_NOT_COMPUTED),
        RuleSpec("label_noise:class", "noise", "noise.max_class_rate", _noise_class_rate, missing=_NOT_COMPUTED),
        RuleSpec(
            "label_noise:confident",
            "noise",
            "noise.max_confident_error_ratio",
            _noise_confident,
            missing=_NOT_COMPUTED,
        ),
    ),
    diagnoses=(NOISE_LABEL,),
    section=Section(
        keys=("noise", "noise_adjusted"),
        required=("noise", "noise_adjusted"),
        json=_json,
        schema="noise.json",
        summary=_summary,
        markdown=_markdown,
        html="noise.html.j2",
        context=lambda report: {"noise_confident": confident_views(report)},
    ),
)

NOISE_REFERENCE = Measurement(
    name="noise_reference",
    step="comparison",
    compute=_reference,
    failure="the reference noise rate could not be read",
)
