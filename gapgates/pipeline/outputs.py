"""Where a run writes — the report directory, the run history, the registry — checked before it reads or fits.

:func:`check_outputs` is the first thing :func:`gapgates.pipeline.inputs.load_inputs` (and the
header-only :func:`~gapgates.pipeline.inputs.check_inputs` of ``gapgates run``) does: a report
directory that is a file, a history that belongs to another application or a registry with
files gapgates did not write fail in one line before any data is read or any model is fit.
"""

from __future__ import annotations

from pathlib import Path

from gapgates.config import CheckConfig
from gapgates.history import History
from gapgates.paths import check_directory, check_file

__all__ = ["REPORT_FILES", "check_outputs", "check_outside_registries", "check_report_directory"]

#: The files a run writes into its report directory.
REPORT_FILES = ("report.json", "report.md", "report.html")


def check_outputs(config: CheckConfig) -> None:
    """Refuse outputs the run could not write, reading only (nothing is created or changed).

    Raises:
        ConfigError: When the report directory or the history cannot be written, or the history
            file is another application's database.
        RegistryError: When the registry is unusable (an unsupported ``mlflow:`` URI, a directory
            holding files gapgates did not write, links).

    Example:
        >>> check_outputs(CheckConfig(data="d.csv", target="y", model="m.M", out="/proc/x"))  # doctest: +SKIP
        Traceback (most recent call last):
        ConfigError: The report directory (--out) '/proc/x' cannot be created: '/proc' is not writable (...).
    """
    if config.out is not None:
        check_report_directory(config.out)
    if config.registry is not None:  # first: without --history, the history lies inside a directory registry
        from gapgates.registry import backend_for, check_location  # a run without --registry never imports it

        directory = backend_for(config.registry).local_path(config.registry)
        if directory is not None:
            check_directory(directory, "The registry directory (--registry)")
        check_location(config.registry)
    history = config.history_path
    if history is not None:
        check_file(history, "The run history (--history)")
        History(history).check()


def check_report_directory(out: str | Path) -> None:
    """Refuse a report directory (``--out`` of ``check`` and ``monitor``) that cannot take :data:`REPORT_FILES`, or
    that lies inside a directory registry (:func:`check_outside_registries`), reading only.

    Raises:
        ConfigError: Naming the directory and the fix.
    """
    check_directory(out, "The report directory (--out)", files=REPORT_FILES)
    check_outside_registries(out)


def check_outside_registries(out: str | Path) -> None:
    """Refuse a report directory inside a directory registry (or the registry itself): a run's reports there would
    replace what the registry keeps (``versions/vN/report.json``). ``publish_monitor`` calls it again before it writes.

    Raises:
        ConfigError: Naming the registry.
    """
    from gapgates.errors import ConfigError

    try:
        where = Path(out).resolve()
    except (OSError, RuntimeError):  # a loop of links: check_directory has said what it could
        return
    for directory in (where, *where.parents):
        if _is_registry(directory):
            raise ConfigError(
                f"The report directory (--out) '{out}' lies inside the registry '{directory}', whose stored reports it "
                "would replace. Choose a directory outside the registry."
            )


def _is_registry(directory: Path) -> bool:
    """Whether a directory is a gapgates directory registry (:mod:`gapgates.registry.local`'s layout): it has
    switched production or kept an audit, or holds a version's model."""
    if (directory / "production.json").is_file() or (directory / "audit.jsonl").is_file():
        return True
    versions = directory / "versions"
    return versions.is_dir() and next(versions.glob("v*/model.skops"), None) is not None
