"""``gapgates check`` and ``gapgates demo``: run the whole gate in this process, print the summary.

Both run :func:`gapgates.gate.run_gate`, the one definition of a run the Prefect flow runs too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from gapgates.cli.main import EXIT_BLOCK, EXIT_PROMOTE, decision_exit, note
from gapgates.format import score

__all__ = [
    "check",
    "check_options",
    "demo",
    "exit_code",
    "fold_progress",
    "print_summary",
    "resolve_check_config",
    "run_and_report",
    "show_recommendation",
    "show_summary",
]


def check_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by ``check`` and ``run`` (all default to None so --config can fill them)."""
    options = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False), help="gapgates.toml with any of these options."),
        click.option("--data", help="Training data, CSV or Parquet."),
        click.option("--target", help="Target column."),
        click.option("--model", help="Dotted estimator path (sklearn.tree.DecisionTreeClassifier) or file.py:NAME."),
        click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Estimator parameter; repeatable."),
        click.option("--name", help="Model name in reports, history and registry (default: the class name)."),
        click.option("--holdout", help="Untouched holdout file with the same columns."),
        click.option("--holdout-fraction", type=float, help="Or: share of --data to hold out."),
        click.option("--policy", help="Policy file, TOML or YAML (default: the shipped policy)."),
        click.option("--folds", type=int, help="Folds per repeat (default 5)."),
        click.option("--repeats", type=int, help="Repeats of k-fold (default 1)."),
        click.option("--seed", type=int, help="Seed for folds and unseeded models (default 0)."),
        click.option("--group", help="Group column: GroupKFold."),
        click.option("--time", help="Time column: TimeSeriesSplit."),
        click.option(
            "--n-jobs",
            type=int,
            help="Folds fitted in parallel (clipped to the usable cores and the folds); "
            "sweep and --recommend: values judged in parallel.",
        ),
        click.option(
            "--max-fits",
            type=click.IntRange(min=1),
            help="Ceiling on model fits (folds × repeats, × 6 with --learning-curve; default 500).",
        ),
        click.option("--out", help="Report directory."),
        click.option("--history", help="Run-history SQLite file (default: history.sqlite beside --out)."),
        click.option(
            "--learning-curve",
            is_flag=True,
            default=None,
            help="Also fit a learning curve: would more data narrow the gap? (5 × folds extra fits)",
        ),
        click.option(
            "--training-curve",
            is_flag=True,
            default=None,
            help="Boosting models: score every iteration of the fold models (no extra fit); MLP/SGD: "
            "every epoch (one more fit per fold). Names the early-stopping point (max_iter / n_estimators).",
        ),
        click.option(
            "--verbose",
            is_flag=True,
            default=None,
            help="Show the model library's own log (XGBoost, LightGBM, CatBoost are quiet by default).",
        ),
        click.option(
            "--registry",
            metavar="DIR|mlflow:URI",
            help="Model registry (a directory, or mlflow:<tracking uri>): compare with production, register there.",
        ),
        click.option("--promote/--no-promote", default=None, help="With --registry: make a passing candidate production."),
        click.option("--alias", help="With an mlflow: registry: the alias that marks production (default champion)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def resolve_check_config(config_path: str | None, **options: Any) -> Any:
    """Merge ``--config`` values with the options given on the command line (which win; ``--param`` key by key)."""
    from gapgates.config import merge_config

    params = options.pop("params", ())
    if params:
        from gapgates.data.model import parse_params

        params = parse_params(params)
    config = merge_config(config_path, options, params=params or None)
    if config.workers_note is not None:
        note(config.workers_note)
    _note_unlisted_params(config)
    return config


def _note_unlisted_params(config: Any) -> None:
    """One note naming the ``--param`` names an open-ended model (XGBoost, LightGBM: ``**kwargs``) does not list:
    accepted, but a misspelt one would be ignored by the library, quietly. Only for a dotted model path (a
    ``file.py:NAME`` is not run for a note); a model that cannot be built is reported by the run, in its order."""
    from gapgates.errors import GapGatesError

    if not config.params or ".py:" in config.model:
        return
    from gapgates.data.model import resolve_model, unlisted_params

    try:
        estimator = resolve_model(config.model, name=config.model_name)
        unlisted = unlisted_params(estimator, config.params)
    except GapGatesError:
        return
    if unlisted:
        names = ", ".join(repr(name) for name in unlisted)
        note(
            f"{type(estimator).__name__} does not name {names} among its parameters; it takes any name (**kwargs) and "
            "checks it only when it fits, ignoring a misspelt one (--verbose shows its warnings). Check the spelling."
        )


@contextmanager
def fold_progress(enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar over folds on stderr (shown only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("cross-validating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("folds", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _diagnosis_lines(report: dict[str, Any]) -> list[str]:
    """The diagnosis, and the training curve's verdict (with ``--training-curve``)."""
    lines = []
    diagnosis = report.get("diagnosis")
    if diagnosis:
        lines.append(f"diagnosis: {diagnosis['label']} — {diagnosis['explanation']}")
    training = report.get("training_curve")
    if isinstance(training, dict) and training.get("verdict"):
        lines.append(f"training curve: {training['verdict']}")
    return lines


def _strong_baseline_lines(report: dict[str, Any]) -> list[str]:
    """The strong baseline's train, test and gap (primary metric), and the candidate's shortfall below it."""
    section = report.get("strong_baseline")
    comparison = (section or {}).get("comparison")
    if not section or not comparison:
        return []
    metric = comparison["metric"]
    best = next((r for r in section["references"] if r["name"] == section["best"]), None)
    if best is None or metric not in best["metrics"]:
        return []
    m, s = best["metrics"][metric], comparison["shortfall"]
    return [
        f"strong baseline ({section['best']}): {metric} train {score(m['train'])} test {score(m['test'])} gap "
        f"{score(m['gap'])}; shortfall of the candidate {score(s['mean'])} [{score(s['low'])}, {score(s['high'])}]"
    ]


def print_summary(report: dict[str, Any], paths: dict[str, Path] | None = None) -> None:
    """Print the decision, the gap table and the failing checks."""
    decision = report["decision"]
    colour = {"promote": "green", "block": "red"}.get(decision, "yellow")
    data = report["data"]
    cv = report.get("cv")
    how = f"{cv['n_folds']} folds" if cv else "data quality failed: no model trained"
    adaptive = (cv or {}).get("adaptive") or {}
    if adaptive.get("added"):
        how += f" ({adaptive['added']} repeat{'s' if adaptive['added'] != 1 else ''} of {adaptive['folds']}-fold added)"
    click.echo(
        click.style(f"{decision.upper().replace('_', ' ')}", fg=colour, bold=True)
        + f"  {report['model']['name']} on {data['train_rows']} rows, {how}"
    )
    if cv is None:
        for c in report["checks"]:
            click.echo(f"  {c['status'].upper():<5} {c['name']}: {c['message']}")
        if paths:
            click.echo("  report: " + ", ".join(str(p) for p in paths.values()))
        return
    conf = cv["confidence"]
    click.echo(f"  {'metric':<18}{'train':>8}{'test':>8}{'gap':>8}  {conf:.0%} interval")
    for metric, g in (report.get("gap") or {}).items():
        click.echo(
            f"  {metric:<18}{score(g['train_mean']):>8}{score(g['test_mean']):>8}{score(g['gap_mean']):>8}"
            f"  [{score(g['gap_ci_low'])}, {score(g['gap_ci_high'])}]"
        )
    from gapgates.measurements.gap import closeness_lines

    for line in [*closeness_lines(report), *_strong_baseline_lines(report), *_diagnosis_lines(report)]:
        click.echo(f"  {line}")
    for c in report["checks"]:
        if c["status"] in {"fail", "warn"}:
            click.echo(f"  {c['status'].upper():<5} {c['name']}: {c['message']}")
    if report.get("registry"):
        from gapgates.report.html import registry_outcome

        click.echo(f"  registry: {registry_outcome(report['registry'])}")
    if paths:
        click.echo("  report: " + ", ".join(str(p) for p in paths.values()))


def exit_code(decision: str) -> int:
    """0 for promote, 1 for block or needs_approval."""
    return EXIT_PROMOTE if decision == "promote" else EXIT_BLOCK


def run_and_report(config: Any) -> Any:
    """Run the whole gate for one config (reports, history, webhook, then the registry) and print the summary.

    Returns:
        The final :class:`~gapgates.gate.GateState`.
    """
    from gapgates.gate import run_gate
    from gapgates.pipeline.definition import with_progress

    with fold_progress() as progress:
        state = run_gate(config, call=with_progress(progress))
    show_summary(state.report, (state.published.paths if state.published is not None else None) or None)
    _note_lumped(state.report)
    return state


def _note_lumped(report: dict[str, Any] | None) -> None:
    """One note naming the text columns whose rarest values were encoded as one (``data.lumped_columns``)."""
    from gapgates.data.model import MAX_CATEGORIES

    lumped = ((report or {}).get("data") or {}).get("lumped_columns") or {}
    if not lumped:
        return
    names = ", ".join(f"'{column}' ({count} values)" for column, count in list(lumped.items())[:3])
    more = f" and {len(lumped) - 3} more" if len(lumped) > 3 else ""
    note(
        f"{names}{more}: one-hot encoded as the {MAX_CATEGORIES - 1} most frequent values and one column for the "
        "rest. To encode every value, give a Pipeline with your own encoding as --model."
    )


def show_summary(report: dict[str, Any], paths: dict[str, Path] | None = None) -> None:
    """:func:`print_summary` after the run committed: a closed stdout cannot change the decision or its exit code."""
    try:
        print_summary(report, paths)
    except BrokenPipeError:
        from gapgates.cli.main import silence_stdout

        silence_stdout()


def show_recommendation(state: Any) -> None:
    """``check --recommend``: print what the gate's ``recommend`` step found after a block (already in the
    published reports): the capacity sweep's table and its verified ``--param`` line, the early-stopping settings
    re-checked against the policy, and why a part could not run (a note on stderr).

    The run's decision and exit code do not change.
    """
    from gapgates.report.sweep import stopping_lines, sweep_document, sweep_table

    recommendation = state.recommendation
    if recommendation is None:
        return
    for part in ("sweep", "early_stopping"):
        if part in recommendation.notes:
            note(f"--recommend: {recommendation.notes[part]}")
    if recommendation.sweep is not None:
        document = sweep_document(recommendation.sweep)
        click.echo("")
        for line in sweep_table(document):
            click.echo(line)
        if document["recommendation"] is not None:
            click.echo(f"  {document['recommendation']['param_line']}")
    section = state.report.get("early_stopping")
    if section is not None and section.get("note") is None:
        click.echo("")
        if recommendation.curve is not None:
            click.echo(f"Training curve: {recommendation.curve.verdict}")
        for line in stopping_lines(section):
            click.echo(line)


@click.command()
@check_options
@click.option(
    "--recommend",
    is_flag=True,
    help="When blocked for overfit or underfit: sweep the model's capacity (trees max_depth, boosting "
    "max_iter, linear C/alpha, k-NN n_neighbors; values in parallel within --n-jobs) and, for an "
    "iterative model blocked for overfit, re-check the training curve's early-stopping settings "
    "(max_iter=K; early_stopping=true with n_iter_no_change). The verified --param goes into the "
    "report before it is published.",
)
@click.pass_context
def check(ctx: click.Context, config_path: str | None, recommend: bool, **options: Any) -> None:
    """Measure the gap of one model and decide: promote (0), block (1)."""
    config = resolve_check_config(config_path, recommend=recommend or None, **options)
    state = run_and_report(config)
    show_recommendation(state)
    decision_exit(ctx, promoted=state.passed and state.published is not None)


@click.command()
@click.option("--out", default="demo-report", show_default=True, help="Directory for data and reports.")
@click.pass_context
def demo(ctx: click.Context, out: str) -> None:
    """Run the gate on bundled breast-cancer data: an unbounded tree (blocked) and a scaled logistic regression
    (promoted into OUT/registry). Also writes OUT/fresh.csv, newly labelled rows for the monitor: with
    --out demo-report, everything the shipped deployments (deployments/prefect.yaml, serve.py) read."""
    from gapgates.config import make_config
    from gapgates.demo import CANDIDATES, DEMO_POLICY_PATH, REGISTERED, write_demo_data, write_fresh_batch
    from gapgates.errors import ConfigError
    from gapgates.paths import check_directory

    if not out.strip():
        raise ConfigError("The demo directory (--out) must be named. Got an empty value (an unset variable?).")
    root = Path(out)
    check_directory(root, "The demo directory (--out)")  # a file there is bad input, said before anything is written
    data = write_demo_data(root)
    fresh = write_fresh_batch(root)
    click.echo(f"Demo data: {data} (scikit-learn breast cancer, offline); policy: {DEMO_POLICY_PATH}")
    click.echo(f"Newly labelled rows for the monitor: {fresh}\n")
    promoted = False
    for name, spec, params in CANDIDATES:
        registry = {"registry": root / "registry", "promote": True} if name == REGISTERED else {}
        config = make_config(
            {
                "data": data,
                "target": "target",
                "model": spec,
                "params": params,
                "name": name,
                "policy": DEMO_POLICY_PATH,
                "out": root / name,
                "history": root / "history.sqlite",  # one history for the demo, the deployments' too
                **registry,
            }
        )
        state = run_and_report(config)
        click.echo("")
        if name == REGISTERED:
            promoted = state.passed and state.published is not None
    if not promoted:  # the demo promotes one candidate: when it could not, its exit says so (it said 0)
        report, kept = root / REGISTERED / "report.md", root / "registry"
        note(f"{REGISTERED} was not promoted (see {report}); production in {kept} did not move.")
    decision_exit(ctx, promoted=promoted)
