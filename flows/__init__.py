"""Prefect 3 orchestration of gapgates: the ``retrain-and-gate`` flow and its tasks.

Importing this package imports Prefect (the core ``gapgates`` package never does).
Use the tasks in your own flows::

    from prefect import flow
    from gapgates.flows.tasks import cross_validate, load_data, quality_gate, run_step, split

    @flow
    def my_gate(config):
        prep = run_step(quality_gate, run_step(load_data, config))  # GX runs in data-quality-gate
        gap_result = cross_validate(prep, run_step(split, prep))
        ...
"""

from __future__ import annotations

import os

# The first ephemeral server on a fresh machine migrates its database; give it time,
# and keep its telemetry from fighting the migration over the SQLite lock.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from gapgates.flows.approval import ApprovalInput
from gapgates.flows.retrain import retrain_and_gate

__all__ = ["ApprovalInput", "retrain_and_gate"]
