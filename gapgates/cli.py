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

from gapgates.errors import GapGatesError

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
        click.option("--registry", metavar="DIR", help="Model registry: compare with production, register there."),
        click.option("--promote/--no-promote", default=None, help="With --registry: make a passing candidate production."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def resolve_check_config(config_path: str | None, **options: Any) -> Any:
    """Merge ``--config`` values with the options given on the command line (which win)."""
    from gapgates.config import load_config, make_config

    values: dict[str, Any] = load_config(config_path) if config_path else {}
    params = options.pop("params", ())
    for key, value in options.items():
        if value is not None:
            values[key] = value
    if params:
        from gapgates.modelspec import parse_params

        values["params"] = {**dict(values.get("params") or {}), **parse_params(params)}
    return make_config(values, source=config_path or "options")


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
    click.echo(
        click.style(f"{decision.upper().replace('_', ' ')}", fg=colour, bold=True)
        + f"  {report['model']['name']} on {data['train_rows']} rows, {report['cv']['n_folds']} folds"
    )
    conf = report["cv"]["confidence"]
    click.echo(f"  {'metric':<18}{'train':>8}{'test':>8}{'gap':>8}  {conf:.0%} interval")
    for metric, g in (report.get("gap") or {}).items():
        click.echo(
            f"  {metric:<18}{g['train_mean']:>8.4f}{g['test_mean']:>8.4f}{g['gap_mean']:>8.4f}"
            f"  [{g['gap_ci_low']:.4f}, {g['gap_ci_high']:.4f}]"
        )
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
    """Run the gate for one config, write reports when ``out`` is set, print the summary."""
    from gapgates.report import build_report, write_reports
    from gapgates.runner import run_check

    with fold_progress() as progress:
        result = run_check(config, progress=progress)
    if config.registry is not None:
        from gapgates.enforce import enforce
        from gapgates.registry import open_registry

        result.extra["registry"] = enforce(result, open_registry(config.registry), promote=config.promote).to_dict()
    paths = write_reports(result, config.out) if config.out is not None else None
    report = build_report(result)
    print_summary(report, paths)
    return report


@cli.command()
@check_options
@click.pass_context
def check(ctx: click.Context, config_path: str | None, **options: Any) -> None:
    """Measure the gap of one model and decide: promote (0), block (1)."""
    config = resolve_check_config(config_path, **options)
    report = run_and_report(config)
    ctx.exit(exit_code(report["decision"]))


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


def _add_registry_commands() -> None:
    from gapgates.registry_cli import registry

    cli.add_command(registry)


_add_registry_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="gapgates")


if __name__ == "__main__":  # pragma: no cover
    main()
