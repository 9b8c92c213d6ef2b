"""``gapgates history``: list the recorded runs (gate runs, and monitor runs marked as such)."""

from __future__ import annotations

from pathlib import Path

import click

from gapgates.format import score

__all__ = ["history_cmd"]

_HISTORY_ROW = "{:>4}  {:<25} {:<20} {:<8} {:<15} {:<12} {:<34} {:>6}  {}"


@click.command("history")
@click.option(
    "--history",
    "path",
    help="Run-history SQLite file (a run writes history.sqlite inside a directory --registry, else beside --out).",
)
@click.option("--model", help="Only runs of this model name.")
@click.option("--last", type=click.IntRange(min=1), help="Only the most recent N runs.")
@click.option(
    "--kind",
    type=click.Choice(["gate", "monitor", "estimate"]),
    help="Only gate runs (check, run), only monitor runs with labels (monitor), or only label-free monitor runs "
    "(estimate); all when omitted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def history_cmd(path: str | None, model: str | None, last: int | None, kind: str | None, as_json: bool) -> None:
    """List recorded runs, oldest first; a monitor run's decision reads monitor:ok|warn|retrain (reads only).

    The outcome column says what became of the candidate in its registry; a run recorded ``pending`` before a
    production switch it did not live to confirm is settled from its registry (promoted, or unfinished: not promoted).
    """
    from gapgates.cli.main import note
    from gapgates.errors import ConfigError
    from gapgates.history import History, dumps
    from gapgates.registry.outcomes import settle_runs

    if path is None:
        raise ConfigError("No run history given. Pass --history PATH (the history.sqlite beside your reports).")
    history = History(path)
    history.check()  # read-only: a directory or another application's database is refused, unchanged
    if not Path(path).is_file():
        raise ConfigError(f"No run history at '{path}'. Pass the history.sqlite a check has written to --history.")
    runs, skipped = history.read(model=model, last=last, kind=kind)
    runs = settle_runs(runs)
    if skipped:
        more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
        note(f"read {len(skipped)} value(s) of '{path}' as missing: {skipped[0]}{more}")
    if as_json:
        click.echo(dumps(runs))
        return
    click.echo(_HISTORY_ROW.format("id", "time", "model", "version", "decision", "outcome", "primary gap", "noise", "diagnosis"))
    for r in runs:
        g = r.gaps.get(r.primary_metric or "")
        gap = "–" if g is None else f"{r.primary_metric} {score(g.gap)} [{score(g.ci_low)}, {score(g.ci_high)}]"
        noise = "–" if r.noise_rate is None else f"{r.noise_rate:.3f}"
        decision = r.decision if r.kind == "gate" else f"{r.kind}:{r.decision}"  # a production gap, not a gate's
        cells = (r.id, r.time, r.model, r.version or "–", decision, r.outcome or "–", gap, noise, r.diagnosis or "–")
        click.echo(_HISTORY_ROW.format(*cells))
    if not runs:
        click.echo("(no runs recorded" + (f" for model '{model}')" if model else ")"))
