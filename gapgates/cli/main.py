"""The ``gapgates`` command line.

Heavy libraries (scikit-learn, Great Expectations, Prefect) are imported inside
commands only, so ``gapgates --help`` stays fast. Every :class:`GapGatesError`
becomes one line on stderr and exit code 2; ``--debug`` shows the traceback.

Exit codes: 0 promote, 1 block or needs_approval, 2 bad input or configuration.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from gapgates.errors import ConfigError, GapGatesError

EXIT_PROMOTE, EXIT_BLOCK, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    """Turns gapgates errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GapGatesError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"gapgates: error: {err}", err=True)
            ctx.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gapgates")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """gapgates: measure the generalization gap and gate promotion on a policy.

    Exit codes: 0 promote, 1 block or needs approval, 2 bad input.
    """
    ctx.obj = {"debug": debug}


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
        click.option("--n-jobs", type=int, help="Folds fitted in parallel."),
        click.option("--out", help="Report directory."),
        click.option("--history", help="Run-history SQLite file (default: history.sqlite beside --out)."),
        click.option("--learning-curve", is_flag=True, default=None,
                     help="Also fit a learning curve: would more data narrow the gap? (5 × folds extra fits)"),
        click.option("--registry", metavar="DIR|mlflow:URI",
                     help="Model registry (a directory, or mlflow:<tracking uri>): compare with production, register there."),
        click.option("--promote/--no-promote", default=None, help="With --registry: make a passing candidate production."),
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
    return merge_config(config_path, options, params=params or None)


@contextmanager
def fold_progress(enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar over folds on stderr (shown only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("cross-validating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("folds", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def print_summary(report: dict[str, Any], paths: dict[str, Path] | None = None) -> None:
    """Print the decision, the gap table and the failing checks."""
    decision = report["decision"]
    colour = {"promote": "green", "block": "red"}.get(decision, "yellow")
    data = report["data"]
    cv = report.get("cv")
    how = f"{cv['n_folds']} folds" if cv else "data quality failed: no model trained"
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
            f"  {metric:<18}{g['train_mean']:>8.4f}{g['test_mean']:>8.4f}{g['gap_mean']:>8.4f}"
            f"  [{g['gap_ci_low']:.4f}, {g['gap_ci_high']:.4f}]"
        )
    diagnosis = report.get("diagnosis")
    if diagnosis:
        click.echo(f"  diagnosis: {diagnosis['label']} — {diagnosis['explanation']}")
    for c in report["checks"]:
        if c["status"] in {"fail", "warn"}:
            click.echo(f"  {c['status'].upper():<5} {c['name']}: {c['message']}")
    if report.get("registry"):
        reg = report["registry"]
        click.echo(f"  registry: {reg['version']} {'promoted' if reg['promoted'] else 'registered'}; "
                   f"production {reg['production'] or '(none)'}")
    if paths:
        click.echo("  report: " + ", ".join(str(p) for p in paths.values()))


def exit_code(decision: str) -> int:
    """0 for promote, 1 for block or needs_approval."""
    return EXIT_PROMOTE if decision == "promote" else EXIT_BLOCK


def run_and_report(config: Any) -> dict[str, Any]:
    """Run the gate for one config, write reports when ``out`` is set, record and notify, print the summary."""
    from gapgates.pipeline.run import run_check
    from gapgates.publishing import publish

    with fold_progress() as progress:
        result = run_check(config, progress=progress)
    if config.registry is not None:
        from gapgates.enforcement import enforce
        from gapgates.registry import open_registry

        registry = open_registry(config.registry, model_name=config.model_name)
        result.extra["registry"] = enforce(result, registry, promote=config.promote).to_dict()
    published = publish(result, out=config.out)
    print_summary(published.report, published.paths or None)
    return published.report


@cli.command()
@check_options
@click.pass_context
def check(ctx: click.Context, config_path: str | None, **options: Any) -> None:
    """Measure the gap of one model and decide: promote (0), block (1)."""
    config = resolve_check_config(config_path, **options)
    report = run_and_report(config)
    ctx.exit(exit_code(report["decision"]))


@cli.command()
@check_options
@click.option("--dask", help="Fit the folds on Dask: a scheduler address (tcp://host:8786) or 'local' (LocalCluster).")
@click.pass_context
def run(ctx: click.Context, config_path: str | None, **options: Any) -> None:
    """Like check, but as the Prefect flow retrain-and-gate: promote (0), block (1).

    Runs in Prefect's ephemeral mode with no server set up, or against PREFECT_API_URL.
    A needs_approval decision pauses the run until someone approves it in the Prefect UI.
    """
    import os

    from gapgates.pipeline.inputs import check_inputs

    config = resolve_check_config(config_path, **options)
    check_inputs(config)  # bad options fail here in one line, before Prefect starts
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from gapgates.flows.retrain import final_report, retrain_and_gate

    state = retrain_and_gate(options=config.model_dump(mode="json"), return_state=True)
    report, promoted = final_report(state)
    paths = {"json": config.out / "report.json"} if config.out is not None else None
    print_summary(report, paths)
    ctx.exit(EXIT_PROMOTE if promoted else EXIT_BLOCK)


@cli.command()
@click.option("--out", default="demo-report", show_default=True, help="Directory for data and reports.")
@click.pass_context
def demo(ctx: click.Context, out: str) -> None:
    """Run the gate on bundled breast-cancer data: an unbounded tree (blocked) and a scaled logistic regression."""
    from gapgates.config import make_config
    from gapgates.demo import CANDIDATES, DEMO_POLICY_PATH, write_demo_data

    root = Path(out)
    data = write_demo_data(root)
    click.echo(f"Demo data: {data} (scikit-learn breast cancer, offline); policy: {DEMO_POLICY_PATH}\n")
    for name, spec, params in CANDIDATES:
        config = make_config(
            {"data": data, "target": "target", "model": spec, "params": params, "name": name,
             "policy": DEMO_POLICY_PATH, "out": root / name}
        )
        run_and_report(config)
        click.echo("")


@cli.command("report")
@click.option("--from", "src", required=True, help="Directory holding report.json (or the file itself).")
@click.option("--out", help="Where to write report.md and report.html (default: beside report.json).")
def report_cmd(src: str, out: str | None) -> None:
    """Re-render report.md and report.html from an existing report.json."""
    from gapgates.report.build import rerender

    for kind, path in rerender(src, out=out).items():
        click.echo(f"{kind}: {path}")


_HISTORY_ROW = "{:>4}  {:<25} {:<20} {:<8} {:<15} {:<34} {:>6}  {}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


@cli.command("history")
@click.option("--history", "path", help="Run-history SQLite file (history.sqlite beside the registry or --out).")
@click.option("--model", help="Only runs of this model name.")
@click.option("--last", type=click.IntRange(min=1), help="Only the most recent N runs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def history_cmd(path: str | None, model: str | None, last: int | None, as_json: bool) -> None:
    """List recorded gate runs, oldest first."""
    from gapgates.errors import ConfigError
    from gapgates.history import History, dumps

    if path is None:
        raise ConfigError("No run history given. Pass --history PATH (the history.sqlite beside your reports).")
    if not Path(path).is_file():
        raise ConfigError(f"No run history at '{path}'. Pass the history.sqlite a check has written to --history.")
    runs = History(path).runs(model=model, last=last)
    if as_json:
        click.echo(dumps(runs))
        return
    click.echo(_HISTORY_ROW.format("id", "time", "model", "version", "decision", "primary gap", "noise", "diagnosis"))
    for r in runs:
        g = r.gaps.get(r.primary_metric or "")
        gap = "–" if g is None else f"{r.primary_metric} {_num(g.gap)} [{_num(g.ci_low)}, {_num(g.ci_high)}]"
        noise = "–" if r.noise_rate is None else f"{r.noise_rate:.3f}"
        cells = (r.id, r.time, r.model, r.version or "–", r.decision, gap, noise, r.diagnosis or "–")
        click.echo(_HISTORY_ROW.format(*cells))
    if not runs:
        click.echo("(no runs recorded" + (f" for model '{model}')" if model else ")"))


@cli.command()
@click.option("--data", required=True, help="Accepted data, CSV or Parquet.")
@click.option("--out", required=True, help="Where to write the GX suite JSON.")
@click.option("--target", help="Target column: no nulls, and its value set.")
@click.option("--margin", type=click.FloatRange(0, 10), default=0.1, show_default=True,
              help="Widen numeric ranges by this share of their span on each side.")
def profile(data: str, out: str, target: str | None, margin: float) -> None:
    """Build a Great Expectations suite from accepted data; use it as [quality] suite."""
    from gapgates.data.tables import load_table, require_columns
    from gapgates.quality.gate import profile_suite

    table = load_table(data)
    if table.shape[1] == 0:
        raise ConfigError(f"Data file '{data}' has no columns to profile. Pass the accepted data.")
    if target is not None:
        require_columns(table, target)
    suite = profile_suite(table, out, target=target, margin=margin)
    click.echo(f"Wrote {len(suite.expectations)} expectations for {table.shape[1]} columns, {len(table)} rows to {out}")
def _add_registry_commands() -> None:
    from gapgates.cli.registry import registry

    cli.add_command(registry)


_add_registry_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="gapgates")


if __name__ == "__main__":  # pragma: no cover
    main()
