"""``gapgates registry list|show|rollback|verify``: inspect and operate a model registry.

Errors (unknown version, tampered model, missing registry) are one line on
stderr and exit code 2, like every gapgates command.
"""

from __future__ import annotations

import json
from typing import Any

import click

from gapgates.cli.main import EXIT_ERROR

__all__ = ["registry"]

_registry_option = click.option(
    "--registry", "location", required=True, metavar="DIR",
    help="Registry directory (or mlflow:TRACKING_URI).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _open(location: str) -> Any:
    """The registry of a read-only command or a rollback: it must exist, and is never created."""
    from gapgates.registry import open_registry

    return open_registry(location, must_exist=True)


def _overview(reg: Any) -> dict[str, Any]:
    return {"production": reg.production, "versions": [v.to_dict() for v in reg.versions()]}


def _print_versions(reg: Any) -> None:
    production = reg.production
    click.echo(f"production: {production or '(none)'}")
    for v in reg.versions():
        mark = "*" if v.version == production else " "
        click.echo(f"{mark} {v.version:<8}{v.status:<12}{v.decision or '-':<16}{v.created:<34}{v.sha256[:12]}")


@click.group()
def registry() -> None:
    """Inspect the model registry, roll production back, verify checksums."""


@registry.command("list")
@_registry_option
@_json_option
def list_versions(location: str, as_json: bool) -> None:
    """List versions, marking production."""
    reg = _open(location)
    if as_json:
        click.echo(json.dumps(_overview(reg), indent=2, default=str))
    else:
        _print_versions(reg)


@registry.command()
@click.argument("version", required=False)
@_registry_option
@_json_option
def show(version: str | None, location: str, as_json: bool) -> None:
    """Show production, every version and the audit log (or one VERSION in detail)."""
    reg = _open(location)
    payload = _overview(reg)
    payload["audit"] = [e.to_dict() for e in reg.audit()]
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
    for e in reg.audit():
        reasons = "; ".join(e.reasons)
        click.echo(f"  {e.time}  {e.action:<15}{e.version or '-':<8}{e.actor:<14}{reasons}")


@registry.command()
@click.option("--to", "to", metavar="VERSION", help="Version to restore (default: the previous production).")
@click.option("--actor", default="gapgates", show_default=True, help="Who rolls back, for the audit log.")
@_registry_option
@_json_option
def rollback(to: str | None, actor: str, location: str, as_json: bool) -> None:
    """Switch production back to the previous version (audited)."""
    reg = _open(location)
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
