"""The ``gapgates`` command line: the group in :mod:`gapgates.cli.main`, one module per command group.

========== ============================================================
module     commands
========== ============================================================
check      ``check``, ``demo``: the whole gate in this process
run        ``run``: the same gate as the Prefect flow
approval   ``approve``, ``reject``: answer a run paused for approval
report     ``report``: re-render a report.json
history    ``history``: the recorded runs
digest     ``digest``: the stakeholder digest of every model in a history
profile    ``profile``: a Great Expectations suite from accepted data
registry   ``registry list|show|rollback|verify``
sweep      ``sweep``: one parameter's values on the same folds, a verified recommendation
monitor    ``monitor``: the production model on fresh labelled rows, ok / warn / retrain
========== ============================================================
"""

from __future__ import annotations

from gapgates.cli import approval, check, digest, history, monitor, profile, registry, report, run, sweep
from gapgates.cli.main import cli

__all__ = ["cli", "main"]

for _command in (check.check, check.demo, run.run, approval.approve, approval.reject, report.report_cmd,
                 history.history_cmd, digest.digest, profile.profile, registry.registry, sweep.sweep, monitor.monitor):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="gapgates")
