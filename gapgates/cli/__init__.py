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

import atexit
import gc

from gapgates.cli import approval, check, digest, history, monitor, profile, registry, report, run, sweep
from gapgates.cli.main import cli

__all__ = ["cli", "main"]

for _command in (
    check.check,
    check.demo,
    run.run,
    approval.approve,
    approval.reject,
    report.report_cmd,
    history.history_cmd,
    digest.digest,
    profile.profile,
    registry.registry,
    sweep.sweep,
    monitor.monitor,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point.

    The process skips the interpreter's final garbage collections: :func:`gc.freeze` is registered first, so it
    runs after every exit handler the command registered (Prefect's flush of its logs and events among them),
    and the teardown then leaves alone the few hundred thousand objects Great Expectations, scikit-learn and
    Prefect keep (that traversal cost about 1 s at the end of ``check`` and 1.7 s after ``run``). Whatever
    gapgates writes is closed and durable before the command returns; only ``__del__`` methods of objects in
    reference cycles are not called at exit, which Python never guarantees.
    """
    atexit.register(gc.freeze)
    cli(prog_name="gapgates")
