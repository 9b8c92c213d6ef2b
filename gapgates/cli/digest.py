"""``gapgates digest``: the stakeholder digest of every model in a run history (digest.html, .md, .json)."""

from __future__ import annotations

import click

__all__ = ["digest"]


@click.command("digest")
@click.option(
    "--history",
    "history",
    required=True,
    metavar="FILE",
    help="Run-history SQLite file the gate and monitor runs record to (read only).",
)
@click.option(
    "--registry",
    "registries",
    multiple=True,
    metavar="DIR",
    help="A model's registry directory (repeat for each model): production version and since when, "
    "the reasons recorded with each version, approvals.",
)
@click.option("--policy", metavar="FILE", help="Policy whose limits are drawn (default: the shipped policy).")
@click.option("--out", required=True, metavar="DIR", help="Where to write digest.html, digest.md and digest.json.")
def digest(history: str, registries: tuple[str, ...], policy: str | None, out: str) -> None:
    """Write the stakeholder digest: for every model, production, last decisions, gap trend, production gap and
    open approvals. Exit 0 when written (a note on stderr names lines it skipped), 2 on bad input or a registry
    'gapgates registry verify' refuses."""
    from gapgates.paths import check_directory
    from gapgates.report.digest import DIGEST_FILES, build_digest, digest_summary, write_digest

    check_directory(out, "The digest directory (--out)", files=DIGEST_FILES)  # before reading anything
    document = build_digest(history, registries=registries, policy=policy)
    paths = write_digest(document, out)
    click.echo(digest_summary(document, link=str(paths["html"])), nl=False)
    skipped = document["skipped"]
    if skipped:
        from gapgates.cli.main import note

        more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
        note(f"skipped {len(skipped)} unreadable line(s), listed under 'skipped' in digest.json: {skipped[0]}{more}")
