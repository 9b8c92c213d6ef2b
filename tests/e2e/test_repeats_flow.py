"""Flow: the added repeats fan out as more ``fit-fold`` tasks and give the library path's numbers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

LOGREG = "gapgates.demo.scaled_logistic_regression"
STRADDLING_SEED = 11  # breast cancer, scaled logistic regression: the 5-fold interval straddles max_gap 0.05


@pytest.fixture
def options(cancer_csv: Path, tmp_path: Path) -> dict:
    return {
        "data": str(cancer_csv),
        "target": "target",
        "model": LOGREG,
        "seed": STRADDLING_SEED,
        "name": "straddling-logreg",
        "out": str(tmp_path / "out"),
    }


def _fit_fold_names(flow_run_id, expected: int, wait: float = 90) -> list[str]:
    """Names of the flow run's fit-fold task runs (the server records them from events: poll)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            names = sorted((t.name for t in runs if t.name.startswith("fit-fold")), key=lambda n: int(n.rsplit("-", 1)[1]))
            if len(names) >= expected or time.monotonic() > deadline:
                return names


def test_the_flow_fans_out_the_added_repeat_and_matches_the_library(prefect_api, options):
    from gapgates.flows.retrain import final_report, gate_config, retrain_and_gate
    from prefect.artifacts import Artifact

    from gapgates.pipeline.definition import run_check
    from gapgates.report.build import build_report

    state = retrain_and_gate(options=options, return_state=True)
    report, promoted = final_report(state)
    library = build_report(run_check(gate_config(options=options)))
    assert promoted and report["decision"] == library["decision"] == "promote"
    assert report["gap"] == library["gap"]
    assert report["cv"]["adaptive"] == library["cv"]["adaptive"]
    assert report["cv"]["adaptive"]["added"] == 1 and report["cv"]["n_folds"] == 10
    flow_checks = {c["name"]: c for c in report["checks"]}
    library_checks = {c["name"]: c for c in library["checks"]}
    assert flow_checks["gap:accuracy"] == library_checks["gap:accuracy"]
    assert flow_checks["gap:accuracy"]["repeats"]["added"] == 1
    assert _fit_fold_names(state.state_details.flow_run_id, 10) == [f"fit-fold-{i}" for i in range(10)]
    markdown = Artifact.get("gapgates-straddling-logreg").data
    assert "gap:accuracy upper bound 0.03216 after 1 extra repeat; limit 0.05 (margin 0.01784)" in markdown
    assert "1 extra repeat of 5-fold (5 fits) was added" in markdown
