"""The *report* step: ``report.json`` (versioned schema), shaped in one place, and the files rendered from it.

The core keys (the model, the decision and its checks, the config, the policy, the data, the diagnosis, the
registry) are shaped here; every measurement's keys come from its section
(:attr:`gapgates.measurements.base.Section.json`), in registry order. The Markdown and the HTML are rendered
from the JSON form only, so a report can be re-rendered later from ``report.json`` alone; ``report.json`` is
checked against its schema before it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapgates import __version__
from gapgates.report.files import write_json
from gapgates.report.markdown import render_markdown

if TYPE_CHECKING:  # the pipeline pulls in pandas/sklearn; `gapgates report --from` needs neither
    from gapgates.enforcement import Approval, Enforcement
    from gapgates.pipeline.steps import RunResult

__all__ = ["SCHEMA_VERSION", "build_report", "render_markdown", "report_documents", "rerender", "write_json", "write_reports"]

SCHEMA_VERSION = "1.4"


def _section(value: Any) -> Any:
    """A result's ``report.json`` section (None stays None)."""
    return None if value is None else value.to_dict()


def measurement_sections(evidence: Any) -> dict[str, Any]:
    """Every registered measurement's ``report.json`` keys from the evidence: a required key always (None when not
    computed), any other only when present."""
    from gapgates.measurements import REGISTRY

    keys: dict[str, Any] = {}
    for measurement in list(REGISTRY.values()):
        section = measurement.section
        if section is None:
            continue
        found = dict(section.json(evidence))
        unknown = sorted(set(found) - set(section.keys))
        if unknown:
            raise ValueError(f"The {measurement.name} section wrote keys it does not declare: {unknown}.")
        for key in section.keys:
            if key in section.required or found.get(key) is not None:
                keys[key] = found.get(key)
    return keys


def build_report(
    result: RunResult, *, enforcement: Enforcement | None = None, approval: Approval | None = None
) -> dict[str, Any]:
    """The ``report.json`` content of a run (plain JSON types only): the one place a report is shaped.

    The CLI, the library and the Prefect flow all write what this returns.

    Args:
        result: The judged run.
        enforcement: What the registry did (or will do once the run commits), or None without a registry.
        approval: A person's answer to a ``needs_approval`` decision, or None.

    Returns:
        A dict with ``schema_version``, ``decision``, ``checks``, ``cv``, ``config``, ``data``, every
        measurement's section (``gap``, ``holdout``, ``baseline``, ``noise``...) and the other keys documented
        in docs/reference/report-json.md.
    """
    prep, ev = result.prepared, result.evidence
    config = prep.config.model_dump(mode="json")
    config["metrics"] = prep.metrics
    gap_result = ev.gap
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "gapgates_version": __version__,
        "created": result.created,
        "model": {
            "name": result.name,
            "spec": prep.config.model,
            "params": config["params"],
            "task": "classification" if prep.classification else "regression",
        },
        "decision": result.decision.outcome.value,
        "reasons": result.decision.reasons,
        "checks": [c.to_dict() for c in result.decision.checks],
        "primary_metric": prep.metrics[0],
        "cv": None
        if gap_result is None
        else {
            "n_folds": gap_result.n_folds,
            "folds": prep.config.folds,
            "repeats": prep.config.repeats,
            "confidence": gap_result.confidence,
            "fit_seconds": round(gap_result.cv.fit_seconds, 3),
            "adaptive": _section(gap_result.repeats),
        },
        **measurement_sections(ev),
        "config": config,
        "policy": prep.policy.model_dump(mode="json"),
        "policy_hash": result.policy_hash,
        "data": {
            "path": str(prep.config.data),
            "rows": int(prep.train.rows + (prep.holdout.rows if prep.holdout is not None and prep.config.holdout is None else 0)),
            "train_rows": prep.train.rows,
            "holdout_rows": None if prep.holdout is None else prep.holdout.rows,
            "columns": list(prep.train.columns),
            "fingerprint": prep.fingerprint,
            "lumped_columns": dict(prep.lumped),
        },
        "errors": dict(ev.errors),
        "diagnosis": _section(result.diagnosis),
        "measured": dict(ev.measured),
        "registry": _section(enforcement),
        "approval": _section(approval),
    }
    return report


def write_reports(report: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` of a report mapping into ``out`` (created if needed), as
    one set: a kill at any instant leaves the files of one run only (:func:`gapgates.report.files.write_set`).

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.

    Raises:
        StorageError: When a file cannot be written (a full disk): nothing half-written is left behind.
    """
    from gapgates.report.schema import validate_report

    validate_report(report, source="the report about to be written", error=RuntimeError)  # a bug, never a user's file
    return render_files(report, Path(out), with_json=True)


def report_documents(report: dict[str, Any]) -> dict[str, str]:
    """The report as the files a registry stores with a version: ``report.md`` and ``report.html``."""
    from gapgates.report.html import render_html

    return {"report.md": render_markdown(report), "report.html": render_html(report)}


def render_files(report: dict[str, Any], out: Path, *, with_json: bool = False) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` of a report mapping into ``out`` (a monitor run's as one), and with
    ``with_json`` ``report.json`` too, as one set."""
    from gapgates.report.files import write_rendered, write_set

    if report.get("kind") == "monitor":
        from gapgates.report.monitor import render_monitor_html as render_html
        from gapgates.report.monitor import render_monitor_markdown as markdown
    else:
        from gapgates.report.html import render_html

        markdown = render_markdown
    if with_json:
        return write_rendered(out, "report", report, markdown=markdown(report), html=render_html(report))
    paths = {"markdown": out / "report.md", "html": out / "report.html"}
    write_set({paths["markdown"]: markdown(report), paths["html"]: render_html(report)})
    return paths


def rerender(src: str | Path, *, out: str | Path | None = None) -> dict[str, Path]:
    """Re-render ``report.md`` and ``report.html`` from an existing ``report.json`` (``gapgates report --from``);
    a monitor run's report (``kind: "monitor"``) is rendered as one. A ``pending`` promotion (the run ended between
    publishing and recording its outcome) is rendered as its registry settles it (:mod:`gapgates.registry.outcomes`);
    ``report.json`` is left as it is.

    Args:
        src: A directory holding ``report.json``, or the file itself.
        out: Where to write (default: beside ``report.json``).

    Returns:
        ``{"markdown": path, "html": path}``.

    Raises:
        ConfigError: If there is no readable report.json, or it does not match the schema.
    """
    from gapgates import documents
    from gapgates.paths import check_directory
    from gapgates.report.schema import validate_report

    src = Path(src)
    path = src / "report.json" if src.is_dir() else src
    target = Path(out) if out is not None else path.parent
    check_directory(target, "The report directory (--out)", files=("report.md", "report.html"))
    text = documents.read_text(
        path, "The report", size="MAX_REPORT_BYTES", hint="Pass the --out directory of an earlier check to --from."
    )
    report = documents.load_json(text, f"The report '{path}'")
    if isinstance(report, dict) and report.get("kind") == "monitor":  # a `gapgates monitor` report
        from gapgates.report.schema import validate_monitor

        validate_monitor(report, source=str(path))
    else:
        from gapgates.registry.outcomes import settle_report

        validate_report(report, source=str(path))
        report = settle_report(report)  # written before a switch its run did not live to record: the registry tells
    target.mkdir(parents=True, exist_ok=True)
    return render_files(report, target)
