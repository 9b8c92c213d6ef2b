"""The stakeholder digest: every model of a run history on one page (``digest.json``, ``digest.md``, ``digest.html``).

For each model: the production version and since when (from its registry), the last decisions
with their reasons, the gap trend of its gate runs against the policy limit, the production gap
from its latest monitor run, the production gap estimated without labels by its latest label-free run (and how
close past estimates came to the gap measured once the labels of the same batch arrived), and the
``needs_approval`` runs nobody has answered.

Where each fact comes from, and nothing else:

* **the history** (``history.sqlite``): every run, its decision, gaps, diagnosis, approval answer and what
  became of its candidate (a run recorded ``pending`` before a production switch it did not live to confirm is
  settled from its registry: promoted only if the registry shows the switch). History rows do not hold the
  reasons of a decision;
* **the registries** (``--registry``, directories): the production pointer, the audit log (when
  production switched to its version; approvals and rejections) and, for a run that registered
  a version, the reasons recorded with that version. A version is matched to a run only when its
  ``run_created`` is the run's time, so another registry's ``v3`` is never taken for this one's;
* **the policy** (``--policy``, else the shipped default): the gap limit drawn on each trend, and
  the ``[monitor] max_production_gap`` limit when the policy has that section.

A registry in a state ``gapgates registry verify`` refuses (a production pointer naming no version, edited
metadata) is refused here too; unreadable audit log lines and history values are skipped, and ``skipped`` in
``digest.json`` says which. As for a run's report, ``digest.md`` and ``digest.html`` are rendered from
``digest.json`` only.

Example:
    >>> doc = build_digest("history.sqlite", registries=["registry"])  # doctest: +SKIP
    >>> write_digest(doc, "digest")["html"]  # doctest: +SKIP
    PosixPath('digest/digest.html')
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gapgates import __version__
from gapgates.errors import ConfigError
from gapgates.format import score
from gapgates.history import History, RunRecord
from gapgates.registry.base import AuditEntry, VersionInfo
from gapgates.registry.outcomes import settle_runs
from gapgates.report.build import write_json

__all__ = [
    "DIGEST_FILES",
    "DIGEST_SCHEMA_VERSION",
    "LAST_DECISIONS",
    "build_digest",
    "digest_summary",
    "render_digest_html",
    "render_digest_markdown",
    "when",
    "write_digest",
]

DIGEST_SCHEMA_VERSION = "1.2"
#: A past estimate is counted as right when its gap is within this of the gap measured once the labels came.
ESTIMATE_TOLERANCE = 0.03
#: Estimate-vs-actual pairs listed per model.
MAX_ESTIMATE_PAIRS = 10
#: Most recent runs (gate and monitor) listed per model, newest first.
LAST_DECISIONS = 5
#: Most recent gate runs per model in the trend (the chart draws as many; a history grows every night).
MAX_TREND = 500
DIGEST_FILES = ("digest.json", "digest.md", "digest.html")
#: Audit actions that answer a ``needs_approval`` version (or take it back).
_ANSWERS = ("approve", "reject", "withdraw")
#: Decision → (label, symbol, css class), for gate and monitor runs. Text and symbol carry the meaning.
DECISIONS = {
    "promote": ("PROMOTE", "✔", "ok"),
    "block": ("BLOCK", "✖", "bad"),
    "needs_approval": ("NEEDS APPROVAL", "❗", "warn"),
    "ok": ("OK", "✔", "ok"),
    "warn": ("WARN", "⚠", "warn"),
    "retrain": ("RETRAIN", "↻", "bad"),
}


@dataclass(frozen=True)
class _RegistryView:
    """What one directory registry says about one model."""

    path: str
    production: str | None
    since: str | None
    versions: dict[str, VersionInfo] = field(default_factory=dict)
    audit: tuple[AuditEntry, ...] = ()
    skipped: tuple[str, ...] = ()

    def version_of(self, run: RunRecord) -> VersionInfo | None:
        """The version ``run`` registered, when this registry holds it (its ``run_created`` is the run's time)."""
        info = self.versions.get(run.version or "")
        return info if info is not None and info.metadata.get("run_created") == run.time else None

    def answers(self, version: str) -> list[AuditEntry]:
        """The approvals, rejections and withdrawals audited for ``version``."""
        return [e for e in self.audit if e.version == version and e.action in _ANSWERS]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _registry_views(locations: Sequence[str | Path]) -> dict[str, _RegistryView]:
    """The registries by the model name their versions carry.

    Raises:
        ConfigError: An ``mlflow:`` location, or two registries holding the same model.
        RegistryError: A registry that is missing or holds files gapgates did not write.
    """
    from gapgates.registry import backend_for, open_registry

    views: dict[str, _RegistryView] = {}
    for location in locations:
        if not backend_for(location).one_model:
            raise ConfigError(
                f"The digest reads directory registries (one model's versions each). Got '{location}'. "
                "Pass the registry directories that 'check --registry' wrote."
            )
        reg = open_registry(location, must_exist=True)  # refuses what `registry verify` refuses in its layout
        versions = {v.version: v for v in reg.versions()}
        production = reg.production
        audit = tuple(reg.audit())
        skipped = tuple(reg.audit_problems())
        since = (
            next((e.time for e in reversed(audit) if e.action in ("promote", "rollback") and e.version == production), None)
            if production is not None
            else None
        )
        for name in sorted({v.name for v in versions.values() if v.name}):
            if name in views:
                raise ConfigError(
                    f"Two registries hold versions of the model '{name}': '{views[name].path}' and "
                    f"'{location}'. Pass one registry per model."
                )
            own = {k: v for k, v in versions.items() if v.name == name}
            views[name] = _RegistryView(
                str(location),
                production if production in own else None,
                since if production in own else None,
                own,
                audit,
                skipped,
            )
    return views


def _limit(rule: Any) -> float | None:
    limit = getattr(rule, "limit", None)
    return float(limit) if isinstance(limit, (int, float)) else None


def _policy_limits(policy: str | Path | None) -> dict[str, Any]:
    from gapgates.judge.policy import load_policy

    loaded = load_policy(policy)
    monitor = getattr(loaded, "monitor", None)  # the [monitor] section, in a policy model that has one
    return {
        "path": None if policy is None else str(policy),
        "gap_limit": _limit(loaded.gap.max_gap),
        "production_gap_limit": _limit(getattr(monitor, "max_production_gap", None)),
        "estimated_gap_limit": _limit(getattr(monitor, "max_estimated_gap", None)),
    }


def _gap(run: RunRecord, metric: str | None) -> dict[str, float | None]:
    rec = run.gaps.get(metric or "")
    return (
        {"gap": None, "ci_low": None, "ci_high": None}
        if rec is None
        else {"gap": rec.gap, "ci_low": rec.ci_low, "ci_high": rec.ci_high}
    )


def _decision_entry(run: RunRecord, view: _RegistryView | None) -> dict[str, Any]:
    """One line of a model's last decisions; reasons only from the registry version the run registered."""
    info = view.version_of(run) if view is not None and run.kind == "gate" else None
    reasons: list[str] = []
    if info is not None:
        recorded = info.metadata.get("reasons")
        reasons = [str(r) for r in recorded] if isinstance(recorded, list) else []  # metadata is a file: take no shape on trust
        reasons += [f"{e.action} by {e.actor}: {'; '.join(e.reasons) or 'no reason given'}" for e in view.answers(info.version)]  # type: ignore[union-attr]
    return {
        "id": run.id,
        "time": run.time,
        "kind": run.kind,
        "decision": run.decision,
        "version": run.version,
        "metric": run.primary_metric,
        **_gap(run, run.primary_metric),
        "reasons": reasons,
        "reasons_source": None if info is None else "registry",
        "diagnosis": run.diagnosis,
        "approval": run.approval,
        "outcome": run.outcome,
    }


def _open_approval(run: RunRecord, view: _RegistryView | None) -> bool:
    if run.kind != "gate" or run.decision != "needs_approval" or run.approval is not None:
        return False
    info = view.version_of(run) if view is not None else None
    return info is None or not view.answers(info.version)  # type: ignore[union-attr]


def _production_gap(monitor: RunRecord | None, limit: float | None, production: str | None) -> dict[str, Any] | None:
    """The latest monitor run; ``stale`` when it measured a version that is no longer production."""
    if monitor is None:
        return None
    return {
        "id": monitor.id,
        "time": monitor.time,
        "decision": monitor.decision,
        "version": monitor.version,
        "metric": monitor.primary_metric,
        "limit": limit,
        "gaps": {m: {"gap": g.gap, "ci_low": g.ci_low, "ci_high": g.ci_high} for m, g in monitor.gaps.items()},
        "stale": production is not None and monitor.version is not None and monitor.version != production,
    }


def _estimate_accuracy(estimates: list[RunRecord], monitors: list[RunRecord]) -> dict[str, Any] | None:
    """Past label-free estimates checked against the labelled monitor run of the same batch of the same version."""
    pairs: list[dict[str, Any]] = []
    for e in estimates:
        labelled = [m for m in monitors if m.id > e.id and e.batch is not None and m.batch == e.batch and m.version == e.version]
        if not labelled:
            continue
        later = labelled[0]
        metric = next((k for k in e.gaps if k in later.gaps), None)
        est, act = (None, None) if metric is None else (e.gaps[metric].gap, later.gaps[metric].gap)
        if est is None or act is None:
            continue
        pairs.append(
            {
                "estimate_id": e.id,
                "monitor_id": later.id,
                "time": later.time,
                "version": e.version,
                "batch": e.batch,
                "metric": metric,
                "estimated_gap": est,
                "actual_gap": act,
                "error": act - est,
            }
        )
    if not pairs:
        return None
    errors = [abs(float(p["error"])) for p in pairs]
    return {
        "pairs": len(pairs),
        "mean_abs_error": sum(errors) / len(errors),
        "within_tolerance": sum(e <= ESTIMATE_TOLERANCE + 1e-12 for e in errors) / len(errors),
        "tolerance": ESTIMATE_TOLERANCE,
        "last": pairs[-MAX_ESTIMATE_PAIRS:],
    }


def _model_entry(name: str, runs: list[RunRecord], view: _RegistryView | None, limits: dict[str, Any]) -> dict[str, Any]:
    gates = [r for r in runs if r.kind == "gate"]
    monitors = [r for r in runs if r.kind == "monitor"]
    estimates = [r for r in runs if r.kind == "estimate"]
    metric = next((r.primary_metric for r in reversed(gates) if r.primary_metric), None)
    return {
        "name": name,
        "production": None if view is None else {"version": view.production, "since": view.since, "registry": view.path},
        "gate_runs": len(gates),
        "monitor_runs": len(monitors),
        "estimate_runs": len(estimates),
        "primary_metric": metric,
        "gap_limit": limits["gap_limit"],
        "last_decisions": [_decision_entry(r, view) for r in reversed(runs[-LAST_DECISIONS:])],
        "trend": [
            {"id": r.id, "time": r.time, "version": r.version, "decision": r.decision, **_gap(r, metric)}
            for r in gates[-MAX_TREND:]
        ],
        "production_gap": _production_gap(
            monitors[-1] if monitors else None, limits["production_gap_limit"], None if view is None else view.production
        ),
        "estimated_gap": _production_gap(
            estimates[-1] if estimates else None, limits["estimated_gap_limit"], None if view is None else view.production
        ),
        "estimate_accuracy": _estimate_accuracy(estimates, monitors),
        "open_approvals": [
            {
                "id": r.id,
                "time": r.time,
                "version": r.version,
                "diagnosis": r.diagnosis,
                "reasons": _decision_entry(r, view)["reasons"],
            }
            for r in gates
            if _open_approval(r, view)
        ],
    }


def build_digest(
    history: str | Path, *, registries: Sequence[str | Path] = (), policy: str | Path | None = None, created: str | None = None
) -> dict[str, Any]:
    """The ``digest.json`` content of a run history (plain JSON types only; validates against ``digest.schema.json``).

    Args:
        history: The run-history SQLite file (read only: nothing is created or changed).
        registries: Directory registries of the models (each holds one model's versions; matched by name).
        policy: The policy file whose limits are drawn (None: the shipped default).
        created: The digest's time (default: now, UTC).

    Returns:
        The digest mapping: ``models`` (one entry per model, by name), ``summary`` and ``notes``.

    Raises:
        ConfigError: A missing or foreign history, an ``mlflow:`` registry, two registries of one model.
        RegistryError: A registry that is missing or holds files gapgates did not write.
        PolicyError: A policy that does not load.
    """
    store = History(history)
    store.check()  # read-only: a directory or another application's database is refused, unchanged
    if not Path(history).is_file():
        raise ConfigError(f"No run history at '{history}'. Pass the history.sqlite your gate runs record to (--history).")
    limits = _policy_limits(policy)
    views = _registry_views(registries)
    runs, unreadable = store.read()
    runs = settle_runs(runs)  # a run killed between recording and switching is promoted only if its registry says so
    skipped = [f"history '{history}': {line}" for line in unreadable]
    skipped += [f"registry '{v.path}': {line}" for v in {v.path: v for v in views.values()}.values() for line in v.skipped]
    by_model: dict[str, list[RunRecord]] = {}
    for run in runs:
        by_model.setdefault(run.model, []).append(run)
    models = [_model_entry(name, by_model[name], views.get(name), limits) for name in sorted(by_model, key=str.lower)]
    notes = []
    if any(d["kind"] == "gate" and d["reasons_source"] is None for m in models for d in m["last_decisions"]):
        notes.append(
            "History rows do not record a decision's reasons: they are read from the registry version the run "
            "registered. Runs without one (no --registry for the model, or nothing registered) show their "
            "diagnosis instead."
        )
    if any(m["production"] is None for m in models):
        notes.append("Models without a --registry show no production version.")
    unmatched = sorted(set(views) - set(by_model))
    if unmatched:
        notes.append(f"Registries of models with no run in this history: {', '.join(unmatched)}.")
    if skipped:
        notes.append(
            f"{len(skipped)} unreadable line(s) or value(s) were skipped (listed under 'skipped' in digest.json); "
            "'gapgates registry verify' lists a registry's."
        )
    return {
        "schema_version": DIGEST_SCHEMA_VERSION,
        "gapgates_version": __version__,
        "created": created or _now(),
        "history": str(history),
        "registries": [str(r) for r in registries],
        "policy": limits,
        "summary": {
            "models": len(models),
            "gate_runs": sum(m["gate_runs"] for m in models),
            "monitor_runs": sum(m["monitor_runs"] for m in models),
            "estimate_runs": sum(m["estimate_runs"] for m in models),
            "open_approvals": sum(len(m["open_approvals"]) for m in models),
            "blocked": [m["name"] for m in models if m["trend"] and m["trend"][-1]["decision"] == "block"],
            "retrain": [
                m["name"]
                for m in models
                if any(
                    (m[key] or {}).get("decision") == "retrain" and not m[key]["stale"]
                    for key in ("production_gap", "estimated_gap")
                )
            ],  # a retrain since then answered it
        },
        "notes": notes,
        "skipped": skipped,
        "models": models,
    }


# -- rendering (from the digest mapping only) ----------------------------------------------------------


def when(value: Any) -> str:
    """An ISO 8601 time as ``YYYY-MM-DD HH:MM UTC`` (anything else as given, '–' for None).

    Example:
        >>> when("2026-03-10T03:00:12.5+00:00")
        '2026-03-10 03:00 UTC'
    """
    if value is None:
        return "–"
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return parsed.strftime("%Y-%m-%d %H:%M") + (" UTC" if parsed.tzinfo is not None else "")


def gap_text(entry: dict[str, Any] | None) -> str:
    """``0.0412 [0.0300, 0.0524]`` of a mapping with ``gap``, ``ci_low``, ``ci_high`` ('–' when missing).

    Example:
        >>> gap_text({"gap": 0.04, "ci_low": 0.03, "ci_high": None})
        '0.0400 [0.0300, –]'
    """
    if not entry or entry.get("gap") is None:
        return "–"
    return f"{score(entry.get('gap'))} [{score(entry.get('ci_low'))}, {score(entry.get('ci_high'))}]"


#: What a gate run's outcome adds to its reasons (a promote that did not reach production says so first).
_OUTCOMES = {
    "pending": "not promoted yet: recorded before the production switch, and its registry cannot be read",
    "unfinished": "not promoted: the run ended before production moved",
    "withdrawn": "not promoted: a step before the production switch failed",
    "registered": "registered, not promoted (the run did not ask to)",
}


def _why(decision: dict[str, Any]) -> str:
    """A decision's reasons, or what stands in for them; first, for a gate run, what became of its candidate."""
    outcome = _OUTCOMES.get(str(decision.get("outcome"))) if decision["kind"] == "gate" else None
    why = _reasons(decision)
    return why if outcome is None else f"{outcome}; {why}"


def _reasons(decision: dict[str, Any]) -> str:
    if decision["reasons"]:
        return "; ".join(decision["reasons"])
    if decision["kind"] == "gate" and decision["reasons_source"] == "registry":
        return "every check passed"
    approval = decision.get("approval")
    parts = (
        []
        if not approval
        else [
            f"{'approved' if approval.get('approved') else 'not approved'} by "
            f"{approval.get('actor')}: {approval.get('reason') or 'no reason given'}"
        ]
    )
    if decision["kind"] == "monitor":
        parts.append("gap column: the production gap (promoted test score − score on fresh labelled rows)")
    elif decision.get("diagnosis"):
        parts.append(f"reasons not recorded; diagnosis: {decision['diagnosis']}")
    else:
        parts.append("reasons not recorded")
    return "; ".join(parts)


def _production_line(model: dict[str, Any]) -> str:
    prod = model["production"]
    if prod is None:
        return "no registry given"
    if prod["version"] is None:
        return "none yet"
    return f"{prod['version']} since {when(prod['since']) if prod['since'] else 'unknown'}"


def _monitor_line(model: dict[str, Any]) -> str:
    pg = model["production_gap"]
    if pg is None:
        return "not monitored"
    metric = pg["metric"] if pg["metric"] in pg["gaps"] else next(iter(pg["gaps"]), None)
    limit = "" if pg["limit"] is None else f", limit {pg['limit']:g}"
    of = f" of {pg['version']}" if pg["version"] else ""
    stale = "; that version is no longer production" if pg["stale"] else ""
    return f"{pg['decision']}{of}: {metric or 'gap'} {gap_text(pg['gaps'].get(metric or ''))}{limit} ({when(pg['time'])}{stale})"


def _estimate_line(model: dict[str, Any]) -> str:
    """The latest label-free estimate of a model, and how close past estimates came to the labels."""
    eg = model["estimated_gap"]
    if eg is None:
        return "no label-free estimate"
    line = "estimated " + _monitor_line({"production_gap": eg})
    acc = model["estimate_accuracy"]
    if acc is None:
        return line + "; no estimate checked against labels yet"
    batches = f"{acc['pairs']} batch{'es' if acc['pairs'] != 1 else ''}"
    return (
        f"{line}; past estimates vs labels: {batches}, mean |actual − estimated gap| "
        f"{acc['mean_abs_error']:.3f}, {acc['within_tolerance']:.0%} within ±{acc['tolerance']:g}"
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<|])")

#: Models listed one line each in the summary (a webhook's text, an artifact); the rest are counted.
SUMMARY_MODELS = 50


def md(text: Any) -> str:
    """``text`` as literal Markdown: special characters escaped and line breaks joined, so a model name or a
    reason written by someone else cannot add a link, an image, HTML or a heading to the digest.

    Example:
        >>> md("fraud_v2 [x](http://e) <b>")
        'fraud_v2 \\[x\\](http://e) \\<b>'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def cell(text: str) -> str:
        return re.sub(r"(?<!\\)\|", r"\\|", text.replace("\n", " "))  # pipes not already escaped by md()

    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in rows),
    ]


def digest_summary(document: dict[str, Any], *, link: str | None = None) -> str:
    """The short Markdown summary: one line per model, and where the full digest is (a webhook's text, an artifact).

    Args:
        document: The ``digest.json`` mapping.
        link: Where the full digest can be read (a URL, or the path of ``digest.html``).
    """
    s = document["summary"]
    blocked, retrain = (", ".join(md(n) for n in s[k]) or "none" for k in ("blocked", "retrain"))
    lines = [
        f"# gapgates digest: {_count(s['models'], 'model')}, {_count(s['gate_runs'], 'gate run')}, "
        f"{_count(s['monitor_runs'], 'monitor run')}",
        "",
        f"Open approvals: {s['open_approvals']} · blocked: {blocked} · retrain advised: {retrain}",
        "",
    ]
    for m in document["models"][:SUMMARY_MODELS]:
        last = m["last_decisions"][0] if m["last_decisions"] else None
        latest = "no runs" if last is None else f"last {last['kind']} {last['decision']} ({when(last['time'])})"
        approvals = len(m["open_approvals"])
        lines.append(
            f"- **{md(m['name'])}**: production {_production_line(m)}; {latest}; monitoring: "
            f"{_monitor_line(m)}"
            + (f"; {_estimate_line(m)}" if m["estimated_gap"] is not None else "")
            + (f"; {approvals} open approval{'s' if approvals != 1 else ''}" if approvals else "")
        )
    if len(document["models"]) > SUMMARY_MODELS:
        lines.append(f"- …and {len(document['models']) - SUMMARY_MODELS} more models in the full digest")
    if not document["models"]:
        lines.append("(no runs recorded in this history)")
    if link:
        lines += ["", f"Full digest: {link}"]
    return "\n".join(lines) + "\n"


def render_digest_markdown(document: dict[str, Any]) -> str:
    """``digest.md``: the summary, then per model its production gap, open approvals, trend and last decisions."""
    lines = [digest_summary(document).rstrip("\n"), "", f"Generated {document['created']} from `{document['history']}`."]
    for note in document["notes"]:
        lines += ["", f"> {note}"]
    for m in document["models"]:
        lines += [
            "",
            f"## {md(m['name'])}",
            "",
            f"- Production: {_production_line(m)}",
            f"- Production gap (latest monitor run): {_monitor_line(m)}",
            f"- Without labels (latest estimate): {_estimate_line(m)}",
            f"- Gap trend ({m['primary_metric'] or 'primary metric'}, {_count(m['gate_runs'], 'gate run')}, limit "
            f"{score(m['gap_limit'])}): " + (", ".join(score(t["gap"]) for t in m["trend"][-10:]) or "–"),
        ]
        for a in m["open_approvals"]:
            lines.append(
                f"- Open approval: run {a['id']} ({when(a['time'])}), version {md(a['version'] or '–')}: "
                + md("; ".join(a["reasons"]) or f"diagnosis {a['diagnosis'] or '–'}")
            )
        rows = [
            [when(d["time"]), d["kind"], d["decision"], md(d["version"] or "–"), gap_text(d), md(_why(d))]
            for d in m["last_decisions"]
        ]
        lines += ["", *_table(["time", "kind", "decision", "version", "gap [interval]", "why"], rows)]
    return "\n".join(lines) + "\n"


def slug(name: str) -> str:
    """An HTML id for a model name.

    Example:
        >>> slug("Fraud v2")
        'model-fraud-v2'
    """
    return "model-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x")


def _trend_chart(model: dict[str, Any]) -> str | None:
    from gapgates.report.charts import history_chart

    points = [{"gap": t["gap"], "gap_ci_low": t["ci_low"], "gap_ci_high": t["ci_high"]} for t in model["trend"]]
    if not points:
        return None
    metric = model["primary_metric"] or "primary metric"
    return history_chart(
        points[:-1],
        points[-1],
        metric=metric,
        limit=model["gap_limit"],
        latest="latest run",
        title=f"Gap trend of {model['name']}: {metric} gap of each gate run against the limit",
    )


def render_digest_html(document: dict[str, Any]) -> str:
    """``digest.html``: self-contained (inline CSS and SVG, no fetch allowed), readable on a phone."""
    from markupsafe import Markup

    from gapgates.report.html import environment

    env = environment()
    env.filters["gap"] = gap_text
    env.filters["when"] = when
    charts = {m["name"]: Markup(c) for m in document["models"] if (c := _trend_chart(m)) is not None}
    ids = {m["name"]: f"{slug(m['name'])}-{i}" for i, m in enumerate(document["models"], start=1)}  # unique
    return env.get_template("digest.html.j2").render(
        d=document,
        charts=charts,
        decisions=DECISIONS,
        why=_why,
        production=_production_line,
        monitor=_monitor_line,
        estimated=_estimate_line,
        ids=ids,
    )


def write_digest(document: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``digest.json``, ``digest.md`` and ``digest.html`` into ``out`` (created if needed), after checking the schema.

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.

    Raises:
        ConfigError: If ``out`` cannot be written, or the document does not match the schema (nothing is written).
    """
    from gapgates.paths import check_directory
    from gapgates.report.schema import validate_digest

    check_directory(out, "The digest directory (--out)", files=DIGEST_FILES)
    validate_digest(document)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "digest.json", "markdown": out / "digest.md", "html": out / "digest.html"}
    markdown, page = render_digest_markdown(document), render_digest_html(document)
    write_json(paths["json"], document)
    for kind, text in (("markdown", markdown), ("html", page)):
        tmp = out / f".{paths[kind].name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, paths[kind])
    return paths
