"""``gapgates registry list|show|rollback|verify``: inspect and operate a model registry.

Errors (unknown version, tampered model, missing registry) are one line on
stderr and exit code 2, like every gapgates command.
"""

from __future__ import annotations

import json
from typing import Any

import click

from gapgates.cli.main import EXIT_ERROR, note

__all__ = ["registry"]

_registry_option = click.option(
    "--registry",
    "location",
    required=True,
    metavar="DIR",
    help="Registry directory (or mlflow:TRACKING_URI).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_alias_option = click.option("--alias", help="With an mlflow: registry: the alias that marks production (default champion).")


def _open(location: str, *, alias: str | None = None) -> Any:
    """The registry of a read-only command or a rollback: it must exist, and is never created."""
    from gapgates.registry import open_registry

    return open_registry(location, must_exist=True, alias=alias)


def table(rows: list[list[str]], *, indent: str = "") -> list[str]:
    """Rows as lines of aligned columns: each column as wide as its longest cell, two spaces between columns.

    Example:
        >>> table([["v1", "alice@example.com", "known noise"], ["v10", "bob", "ok"]])
        ['v1   alice@example.com  known noise', 'v10  bob                ok']
    """
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows), default=0))]
    return [indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def _overview(reg: Any) -> dict[str, Any]:
    return {"production": reg.production, "versions": [v.to_dict() for v in reg.versions()]}


def _print_versions(reg: Any) -> None:
    production = reg.production
    click.echo(f"production: {production or '(none)'}")
    rows = [
        [
            ("* " if v.version == production else "  ") + v.version,
            v.status,
            v.decision or "-",
            v.created or "-",
            v.sha256[:12] or "-",
        ]
        for v in reg.versions()
    ]
    if rows:
        for line in table([["  version", "status", "decision", "created", "sha256"], *rows]):
            click.echo(line)


@click.group()
def registry() -> None:
    """Inspect the model registry, roll production back, verify checksums."""


@registry.command("list")
@_registry_option
@_alias_option
@_json_option
def list_versions(location: str, alias: str | None, as_json: bool) -> None:
    """List versions, marking production."""
    reg = _open(location, alias=alias)
    if as_json:
        click.echo(json.dumps(_overview(reg), indent=2, default=str))
    else:
        _print_versions(reg)


@registry.command()
@click.argument("version", required=False)
@_registry_option
@_alias_option
@_json_option
def show(version: str | None, location: str, alias: str | None, as_json: bool) -> None:
    """Show production, every version and the audit log (or one VERSION in detail)."""
    from gapgates.registry.base import took_effect

    reg = _open(location, alias=alias)
    payload = _overview(reg)
    entries = reg.audit()
    marks = took_effect(entries, payload["production"])  # a switch audited by a process killed before it: not done
    payload["audit"] = [{**e.to_dict(), **({} if m is None else {"switched": m})} for e, m in zip(entries, marks, strict=True)]
    skipped = reg.audit_problems()
    if skipped:
        more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
        note(f"skipped {len(skipped)} unreadable audit line(s), which 'gapgates registry verify' lists: {skipped[0]}{more}")
    if version is not None:
        payload["version"] = reg.info(version).to_dict()
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    if version is not None:
        click.echo(json.dumps(payload["version"], indent=2, default=str))
        return
    _print_versions(reg)
    click.echo("audit:")
    actions = [e.action if m is not False else f"{e.action} (not switched)" for e, m in zip(entries, marks, strict=True)]
    rows = [
        [e.time, action, e.version or "-", e.actor, "; ".join(e.reasons) or "-"]
        for e, action in zip(entries, actions, strict=True)
    ]
    if rows:
        for line in table([["time", "action", "version", "actor", "reasons"], *rows], indent="  "):
            click.echo(line)


@registry.command()
@click.option("--to", "to", metavar="VERSION", help="Version to restore (default: the previous production).")
@click.option("--actor", default="gapgates", show_default=True, help="Who rolls back, for the audit log.")
@_registry_option
@_alias_option
@_json_option
def rollback(to: str | None, actor: str, location: str, alias: str | None, as_json: bool) -> None:
    """Switch production back to the previous version (audited)."""
    reg = _open(location, alias=alias)
    before = reg.production
    after = reg.rollback(to=to, actor=actor)
    if as_json:
        click.echo(json.dumps({"previous": before, "production": after}))
    else:
        click.echo(f"production: {before} -> {after}")


@registry.command()
@_registry_option
@_json_option
@click.pass_context
def verify(ctx: click.Context, location: str, as_json: bool) -> None:
    """Re-check every model checksum; exit 2 when one fails."""
    reg = _open(location)
    problems = reg.verify()
    if as_json:
        click.echo(json.dumps({"ok": not problems, "problems": problems}))
    elif problems:
        for line in problems:
            click.echo(line)
        click.echo(f"gapgates: error: {len(problems)} problem(s) in {location}: {problems[0]}", err=True)
    else:
        click.echo(f"ok: {len(reg.versions())} version(s), every checksum matches")
    ctx.exit(EXIT_ERROR if problems else 0)
