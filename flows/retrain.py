"""The ``retrain-and-gate`` flow: load → quality → split → folds → diagnose → decide → enforce → publish.

Final states: a promoted run ends Completed and returns the report; a blocked,
rejected or timed-out run ends **Failed** with the reasons as the state message
(so Prefect automations can alert on it) and the report as its data; bad input
ends Failed with the one-line error. Nothing is promoted when any step fails.
"""

from __future__ import annotations

from typing import Any

from gapgates.flows import tasks
from gapgates.flows.approval import request_approval
from gapgates.flows.artifacts import publish_report
from gapgates.flows.outcome import block, promote
from prefect import flow, get_run_logger
from prefect.states import Failed, State

from gapgates.config import CheckConfig, merge_config
from gapgates.errors import GapGatesError
from gapgates.judge.checks import Outcome

__all__ = ["gate_config", "retrain_and_gate"]


def gate_config(config_path: str | None = None, options: dict[str, Any] | None = None) -> CheckConfig:
    """A :class:`CheckConfig` from a ``gapgates.toml`` and/or options (options win; :func:`gapgates.config.merge_config`).

    Raises:
        ConfigError: On a missing file or invalid options.
    """
    return merge_config(config_path, options)


def _enforce(result: Any) -> tuple[bool, dict[str, Any]]:
    """Promote, ask a human, or block. Returns (promoted, outcome section)."""
    outcome = result.decision.outcome
    if outcome is Outcome.PROMOTE:
        return True, promote(result)
    if outcome is Outcome.NEEDS_APPROVAL:
        verdict = request_approval(result)
        if verdict.approved:
            section = promote(result, actor=verdict.actor, reasons=(verdict.reason,))
        else:
            why = f"approval {'timed out' if verdict.timed_out else 'rejected'} by {verdict.actor}: {verdict.reason}"
            section = block(result, reasons=(why, *result.decision.reasons), verdict=verdict)
        return verdict.approved, {**section, "approval": verdict.to_dict()}
    return False, block(result, reasons=tuple(result.decision.reasons))


@flow(name="retrain-and-gate", validate_parameters=True)
def retrain_and_gate(config_path: str | None = None, options: dict[str, Any] | None = None) -> Any:
    """Retrain a model and gate its promotion on the generalization gap.

    Args:
        config_path: A ``gapgates.toml`` (the deployment's parameter).
        options: Options overriding the file (same keys; ``dask`` runs the folds on Dask).

    Returns:
        The report (Completed) when promoted; a Failed state otherwise.
    """
    logger = get_run_logger()
    try:
        config = gate_config(config_path, options)
        inputs = tasks.run_step(tasks.load_data, config)
        prep = tasks.run_step(tasks.quality_gate, inputs)  # Great Expectations, before any fit
        if prep.blocked:  # the data failed critical expectations: no model is trained
            result = tasks.block_on_quality(prep)
        else:
            splits = tasks.run_step(tasks.split, prep)
            gap_result = tasks.cross_validate(prep, splits)
            diagnosis = tasks.run_step(tasks.diagnose, prep, splits, gap_result)
            refs = tasks.run_step(tasks.reference_scores, prep, splits)
    except GapGatesError as err:
        logger.error("gapgates: error: %s", err)
        return Failed(message=f"gapgates: error: {err}", data=err)
    if not prep.blocked:
        result = tasks.decide(prep, gap_result, refs, diagnosis)
    promoted, section = _enforce(result)
    result.extra["outcome"] = section
    report = publish_report(result)
    if promoted:
        return report
    return Failed(message="Blocked: " + "; ".join(section["reasons"]), data=report)


def final_report(state: State) -> tuple[dict[str, Any], bool]:
    """The report and whether the model was promoted, from a finished ``retrain-and-gate`` state.

    Raises:
        GapGatesError: The run's one-line input error.
        Exception: Any other error that failed the run.
    """
    data = state.result(raise_on_failure=False)
    if isinstance(data, BaseException):
        raise data
    if not isinstance(data, dict):
        state.result()  # re-raise prefect's failure
        raise RuntimeError(f"The flow run ended in {state.type.value} without a report: {state.message}")
    return data, state.is_completed()
