"""Prefect 3 orchestration of gapgates: the ``retrain-and-gate``, ``monitor-production`` and ``stakeholder-digest``
flows and their tasks (installed as ``gapgates.flows``).

Importing this package imports Prefect (the core ``gapgates`` package never does). The flow
runs the steps declared in :mod:`gapgates.gate`, each as a task; run the same steps in your
own flow with :func:`gapgates.flows.tasks.call_task`::

    from prefect import flow
    from gapgates.flows.tasks import call_task
    from gapgates.gate import run_gate

    @flow
    def my_gate(config):
        return run_gate(config, call=call_task).report
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

from gapgates.errors import require

# Without the [prefect] extra: one line naming it (a MissingDependencyError, exit 2 from the CLI), not a traceback.
require("prefect", extra="prefect", needed_for="gapgates.flows (the Prefect flows: gapgates run, approve, reject)")

# The first ephemeral server on a fresh machine migrates its database; give it time,
# and keep its telemetry from fighting the migration over the SQLite lock.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

#: Where each flow lives; a flow's module is imported on first use (``gapgates run`` needs only the retrain flow,
#: not the monitor's or the digest's dependencies: about 0.15 s of every ``run``).
_EXPORTS = {
    "ApprovalInput": "gapgates.flows.approval",
    "monitor_production": "gapgates.flows.monitor",
    "retrain_and_gate": "gapgates.flows.retrain",
    "stakeholder_digest": "gapgates.flows.digest",
}

__all__ = ["ApprovalInput", "monitor_production", "retrain_and_gate", "stakeholder_digest"]

if TYPE_CHECKING:
    from gapgates.flows.approval import ApprovalInput
    from gapgates.flows.digest import stakeholder_digest
    from gapgates.flows.monitor import monitor_production
    from gapgates.flows.retrain import retrain_and_gate


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
