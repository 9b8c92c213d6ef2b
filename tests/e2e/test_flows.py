"""The retrain-and-gate flow end to end under one prefect_test_harness: states, artifacts, cache, approval, Dask."""

from __future__ import annotations

import contextvars
import json
import threading
import time
import uuid
from pathlib import Path

import pytest
from sklearn.tree import DecisionTreeClassifier

from gapgates.config import CheckConfig, usable_cores
from gapgates.demo import DEMO_POLICY_PATH
from gapgates.report.schema import validate_report
from tests.helpers import openmp_threads, python_example

LOGREG = "gapgates.demo.scaled_logistic_regression"
TREE = "sklearn.tree.DecisionTreeClassifier"


@pytest.fixture
def options(cancer_csv: Path) -> dict:
    return {"data": str(cancer_csv), "target": "target", "policy": str(DEMO_POLICY_PATH), "folds": 5}


def _run(prefect_api, **options):
    from gapgates.flows.retrain import retrain_and_gate

    return retrain_and_gate(options=options, return_state=True)


def _task_runs(flow_run_id, *, until=lambda runs: True, wait: float = 90):
    """Task runs of a flow run (the server records them from events, so poll until ``until`` holds; under load
    the events arrive late and out of order, so wait for the runs a test needs, never for a count)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            if until(runs) or time.monotonic() > deadline:
                return runs
            time.sleep(0.25)


def _recorded(*names: str, folds: int = 0):
    """An ``until`` for :func:`_task_runs`: every named task (its name without the number Prefect adds) and
    ``folds`` fit-fold runs are recorded, each in a final state."""

    def done(runs) -> bool:
        final = [t for t in runs if t.state is not None and t.state.is_final()]
        seen = {t.name.rsplit("-", 1)[0] for t in final}
        return set(names) <= seen and sum(t.name.startswith("fit-fold") for t in final) >= folds

    return done


def _artifact(key: str):
    from prefect.artifacts import Artifact

    return Artifact.get(key)


def test_promoted_run_completes_and_publishes_artifacts(prefect_api, options, tmp_path):
    from gapgates.flows.retrain import final_report

    out = tmp_path / "out"
    registry = tmp_path / "registry"
    state = _run(
        prefect_api,
        **options,
        model=LOGREG,
        name="Scaled LogReg",
        out=str(out),
        registry=str(registry),
        promote=True,
        report_url="https://reports.example.invalid/scaled-logreg/",
    )
    assert state.is_completed(), state.message
    report, promoted = final_report(state)
    assert promoted and report["decision"] == "promote" and report["registry"]["promoted"] is True
    assert (out / "report.json").is_file()
    from gapgates.registry import LocalRegistry

    reg = LocalRegistry(registry)
    assert reg.production == report["registry"]["version"] == "v1"
    assert [(e.action, e.actor) for e in reg.audit()] == [("promote", "gapgates")]

    flow_run_id = state.state_details.flow_run_id
    md = _artifact("gapgates-scaled-logreg")
    assert md.flow_run_id == flow_run_id and md.type == "markdown"
    assert "# gapgates: PROMOTE" in md.data and "| accuracy |" in md.data and "| roc_auc |" in md.data
    table = _artifact("gapgates-scaled-logreg-folds")
    assert table.flow_run_id == flow_run_id and table.type == "table"
    import json

    rows = json.loads(table.data)
    assert len(rows) == 5 * 2  # folds x metrics
    acc = [r for r in rows if r["metric"] == "accuracy"]
    assert [r["test"] for r in acc] == [f["test"] for f in report["gap"]["accuracy"]["folds"]]
    segments = json.loads(_artifact("gapgates-scaled-logreg-segments").data)
    assert [r["segment"] for r in segments] == [s["description"] for s in report["segments"]["segments"]]
    assert "## Weak segments" in md.data and "## How the model errs" in md.data
    assert "## Training-data issues (cleanlab Datalab)" in md.data
    link = _artifact("gapgates-scaled-logreg-html")
    assert link.flow_run_id == flow_run_id  # Prefect stores a link artifact as Markdown "[text](url)"
    assert "(https://reports.example.invalid/scaled-logreg/report.html)" in link.data and "file:" not in link.data
    assert "[report.html](https://reports.example.invalid/scaled-logreg/report.html)" in md.data


def test_fold_tasks_give_the_numbers_of_gapgates_check(prefect_api, options):
    from gapgates.flows.retrain import final_report, gate_config

    from gapgates.pipeline.definition import run_check
    from gapgates.report.build import build_report

    state = _run(prefect_api, **options, model=TREE, name="tree-numbers", seed=1)
    flow_gap = final_report(state)[0]["gap"]
    check_gap = build_report(run_check(gate_config(options={**options, "model": TREE, "seed": 1})))["gap"]
    assert flow_gap == check_gap
    runs = _task_runs(state.state_details.flow_run_id, until=_recorded("decide", folds=5))
    names = sorted(t.name for t in runs)
    assert [n for n in names if n.startswith("fit-fold")] == [f"fit-fold-{i}" for i in range(5)]


#: Threads that fitted a ThreadRecordingTree (filled by the flow run in this process).
FIT_THREADS: list[int] = []


class ThreadRecordingTree(DecisionTreeClassifier):
    """A decision tree recording the thread that fits it."""

    def fit(self, X, y, **kwargs):
        FIT_THREADS.append(threading.get_ident())
        return super().fit(X, y, **kwargs)


def test_with_one_worker_the_folds_fit_in_the_flows_own_thread(prefect_api, options):
    """One OpenMP pool per calling thread: folds fitted in a task runner's thread and diagnostics in the flow's
    thread made two pools on two cores, and libgomp's barriers then slowed every later fit about 4x."""
    FIT_THREADS.clear()
    state = _run(prefect_api, **options, model=f"{__name__}.ThreadRecordingTree", name="thread-tree", seed=3)
    runs = _task_runs(state.state_details.flow_run_id, until=_recorded("decide", folds=5))
    assert [n for n in sorted(t.name for t in runs) if n.startswith("fit-fold")] == [f"fit-fold-{i}" for i in range(5)]
    assert len(FIT_THREADS) >= 5 and set(FIT_THREADS) == {threading.get_ident()}


#: The OpenMP threads each fit of an OpenMPRecordingTree could use, by the fitting thread (filled in this process).
OPENMP_AT_FIT: list[tuple[int, int]] = []


class OpenMPRecordingTree(DecisionTreeClassifier):
    """A decision tree recording, at every fit, the OpenMP threads its calling thread may use."""

    def fit(self, X, y, **kwargs):
        OPENMP_AT_FIT.append((threading.get_ident(), max(openmp_threads())))
        return super().fit(X, y, **kwargs)


@pytest.mark.skipif(usable_cores() < 2, reason="one usable core: every pool has one thread anyway")
def test_sweep_values_on_two_threads_each_keep_half_of_the_free_cores(prefect_api, options, monkeypatch):
    """A sweep's judge-value tasks run on a task runner's threads, which inherit the run's context. Each value's
    passes limited their threads again inside the task, to the run's free cores, not to the worker's share: two
    values fitted at once with two OpenMP threads each on two cores."""
    from gapgates.flows.tasks import sweep_values
    from prefect import flow

    from gapgates.compute.crossval import thread_limits
    from gapgates.pipeline.inputs import load_inputs, validate_inputs, with_params
    from gapgates.pipeline.steps import make_folds

    monkeypatch.setenv("GAPGATES_THREADS", "2")  # the free cores, whatever else the machine runs now
    config = CheckConfig(data=options["data"], target="target", model=f"{__name__}.OpenMPRecordingTree", folds=3, n_jobs=2)
    prep = validate_inputs(load_inputs(config))
    splits = make_folds(prep)
    preps = [with_params(prep, {"max_depth": depth}) for depth in (2, 3)]

    @flow(name="sweep-threads")
    def sweep() -> None:
        with thread_limits(None):  # the run's limit, as the retrain flow's gate run enters it
            sweep_values(preps, splits)

    OPENMP_AT_FIT.clear()
    sweep()
    workers = {ident for ident, _ in OPENMP_AT_FIT if ident != threading.get_ident()}
    assert len(workers) >= 1 and len(OPENMP_AT_FIT) >= 6  # three folds per value, on the runner's threads
    assert {threads for _, threads in OPENMP_AT_FIT} == {1}


def test_the_flow_replays_its_fold_tasks_models_into_the_training_curve_of_gapgates_check(prefect_api, options):
    from gapgates.flows.retrain import final_report, gate_config

    from gapgates.pipeline.definition import run_check
    from gapgates.report.build import build_report

    boosting = {
        **options,
        "model": "sklearn.ensemble.GradientBoostingClassifier",
        "params": {"n_estimators": 30},
        "seed": 1,
        "training_curve": True,
    }
    state = _run(prefect_api, **boosting, name="gb-curve")
    report = final_report(state)[0]
    flow_curve = report["training_curve"]
    check_curve = build_report(run_check(gate_config(options=boosting)))["training_curve"]
    # one curve per fitted fold: 5, or more when the gap's cost added repeats of the 5 folds
    fitted = len(report["gap"]["accuracy"]["folds"])
    assert flow_curve == check_curve and flow_curve["fitted_iterations"] == 30
    assert len(flow_curve["folds"]) == fitted and fitted % 5 == 0
    assert f"- Training curve: {flow_curve['verdict']}" in _artifact("gapgates-gb-curve").data


def test_blocked_run_fails_with_the_reasons(prefect_api, options):
    from gapgates.flows.retrain import final_report

    state = _run(prefect_api, **options, model=TREE, name="unbounded-tree")
    assert state.is_failed()
    assert state.message.startswith("Blocked: ") and "accuracy gap" in state.message
    report, promoted = final_report(state)
    assert not promoted and report["decision"] == "block" and report["registry"] is None and report["approval"] is None
    validate_report(report)  # a flow's report is the same document as the CLI's
    md = _artifact("gapgates-unbounded-tree")
    assert md.flow_run_id == state.state_details.flow_run_id and "# gapgates: BLOCK" in md.data
    assert _artifact("gapgates-unbounded-tree-html") is None  # no HTML report, no link
    runs = _task_runs(state.state_details.flow_run_id, until=_recorded("decide", "stage", "publish", "commit", "record", folds=5))
    names = {t.name.rsplit("-", 1)[0] for t in runs}
    assert {"decide", "stage", "publish", "commit", "record"} <= names and "fit-fold" in names


def test_bad_input_fails_at_once_and_fits_nothing(prefect_api, options, tmp_path):
    from gapgates.flows.retrain import final_report

    from gapgates.errors import ConfigError

    state = _run(prefect_api, **{**options, "data": str(tmp_path / "missing.csv")}, model=TREE)
    assert state.is_failed() and "missing.csv' does not exist" in state.message
    with pytest.raises(ConfigError, match="does not exist"):
        final_report(state)
    runs = _task_runs(state.state_details.flow_run_id, until=_recorded("load-data"))
    assert [t.name.rsplit("-", 1)[0] for t in runs] == ["load-data"]
    assert runs[0].run_count == 1  # bad input is not retried


TASKS_OF_A_QUALITY_BLOCK = (
    "load-data",
    "data-quality-gate",
    "decide",
    "stage",
    "publish",
    "commit",
    "record",
    "publish-artifacts",
)


def test_data_quality_gate_task_blocks_before_any_fit(prefect_api, options, tmp_path):
    import pandas as pd
    from gapgates.flows.retrain import final_report

    broken = pd.read_csv(options["data"])
    broken.loc[:5, "target"] = None  # null labels: a critical expectation of the built-in suite fails
    broken.to_csv(tmp_path / "broken.csv", index=False)
    state = _run(prefect_api, **{**options, "data": str(tmp_path / "broken.csv")}, model=TREE, name="broken-labels")
    assert state.is_failed() and state.message.startswith("Blocked: ")
    report, promoted = final_report(state)
    assert not promoted and report["decision"] == "block" and report["cv"] is None
    assert any(c["name"].startswith("quality") and c["status"] == "fail" for c in report["checks"])
    runs = _task_runs(
        state.state_details.flow_run_id,
        until=_recorded(*TASKS_OF_A_QUALITY_BLOCK),
    )
    by_name = {t.name.rsplit("-", 1)[0]: t for t in runs}
    assert set(by_name) == set(TASKS_OF_A_QUALITY_BLOCK)
    assert not [t for t in runs if t.name.startswith(("fit-fold", "split", "combine"))]
    gate, load = by_name["data-quality-gate"], by_name["load-data"]
    assert gate.state.is_completed() and [i.id for i in gate.task_inputs["inputs"]] == [load.id]


def test_quality_gate_task_is_where_great_expectations_runs(prefect_api, options, tmp_path):
    policy = tmp_path / "suite.toml"
    policy.write_text(DEMO_POLICY_PATH.read_text() + '\n[quality]\nsuite = "no-such-suite.json"\n')
    state = _run(prefect_api, **{**options, "policy": str(policy)}, model=TREE, name="missing-suite")
    assert state.is_failed() and "no-such-suite.json' does not exist" in state.message
    runs = _task_runs(state.state_details.flow_run_id, until=_recorded("load-data", "data-quality-gate"))
    states = {t.name.rsplit("-", 1)[0]: t.state.type.value for t in runs}
    assert states == {"load-data": "COMPLETED", "data-quality-gate": "FAILED"}  # the suite is read by GX's task


def test_fold_error_blocks_nothing_promoted(prefect_api, options):
    state = _run(prefect_api, **options, model=TREE, params={"max_depth": "deep"}, name="bad-param")
    assert state.is_failed() and "max_depth" in state.message
    names = {t.name.rsplit("-", 1)[0] for t in _task_runs(state.state_details.flow_run_id)}
    assert not names & {"decide", "stage", "publish", "commit", "record"}


def test_rerun_reuses_cached_folds(prefect_api, options):
    from gapgates.flows.retrain import final_report

    first = _run(prefect_api, **options, model=TREE, name="cached-tree", seed=5)
    second = _run(prefect_api, **options, model=TREE, name="cached-tree", seed=5, out=None)

    def fits(runs):
        return [t for t in runs if t.name.startswith(("fit-fold", "baseline")) and t.state and t.state.is_final()]

    cached = fits(_task_runs(second.state_details.flow_run_id, until=lambda r: len(fits(r)) == 6))
    assert len(cached) == 6 and all(t.state.name == "Cached" for t in cached)
    other = _run(prefect_api, **options, model=TREE, name="cached-tree", seed=6)
    # other seed, other folds: every fold fitted again (5, or more when the gap's cost added repeats) + the baseline
    folds = len(final_report(other)[0]["gap"]["accuracy"]["folds"])
    refit = fits(_task_runs(other.state_details.flow_run_id, until=lambda r: len(fits(r)) == folds + 1))
    assert len(refit) == folds + 1 and all(t.state.name == "Completed" for t in refit)
    assert first.is_failed() and second.is_failed()


# --- human approval -------------------------------------------------------------------------------------


def _approval_policy(tmp_path: Path, timeout: int) -> str:
    path = tmp_path / "approval.toml"
    path.write_text(
        DEMO_POLICY_PATH.read_text().replace('on_fail = "block"', f'on_fail = "needs_approval"\napproval_timeout = {timeout}')
    )
    return str(path)


def _start_paused_run(options: dict, name: str):
    """Run the flow in a thread; return (thread, holder, flow_run) once it is Paused."""
    from gapgates.flows.retrain import retrain_and_gate
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    run_name = f"{name}-{uuid.uuid4().hex[:8]}"
    holder: dict = {}
    flow = retrain_and_gate.with_options(flow_run_name=run_name)
    ctx = contextvars.copy_context()  # the harness's settings live in context variables

    def target() -> None:
        holder["state"] = flow(options=options, return_state=True)

    thread = threading.Thread(target=ctx.run, args=(target,))
    thread.start()
    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[run_name])))
            if runs and runs[0].state and runs[0].state.is_paused():
                return thread, holder, runs[0]
            assert thread.is_alive(), holder
            time.sleep(0.5)
    raise AssertionError("the flow run never paused")


@pytest.mark.parametrize("approve", [True, False])
def test_needs_approval_pauses_and_resumes_with_input(prefect_api, options, tmp_path, approve):
    from gapgates.flows.retrain import final_report
    from prefect.flow_runs import resume_flow_run
    from prefect.input.run_input import keyset_from_paused_state, read_flow_run_input

    registry = tmp_path / "registry"
    opts = {
        **options,
        "model": TREE,
        "name": "tree-approval",
        "policy": _approval_policy(tmp_path, 30),
        "registry": str(registry),
        "promote": True,
    }
    thread, holder, run = _start_paused_run(opts, "approve" if approve else "reject")
    description = read_flow_run_input(keyset_from_paused_state(run.state)["description"], flow_run_id=run.id)
    assert "tree-approval" in description and "`gap:accuracy`" in description
    who, reason = ("alice", "known shift") if approve else ("bob", "checked by hand")
    if approve:  # the docs' own example (guides/approvals.md): resume_flow_run with alice's answer
        exec(python_example("resume_flow_run(flow_run_id"), {"flow_run_id": run.id})
    else:
        resume_flow_run(run.id, run_input={"approve": approve, "approver": who, "reason": reason})
    thread.join(120)
    state = holder["state"]
    report, promoted = final_report(state)
    assert report["decision"] == "needs_approval"
    assert report["approval"] == {"approved": approve, "actor": who, "reason": reason, "timed_out": False}
    validate_report(report)
    from gapgates.registry import LocalRegistry

    reg = LocalRegistry(registry)
    audit = [(e.action, e.actor) for e in reg.audit()]
    if approve:
        assert state.is_completed() and promoted and report["registry"]["promoted"] is True
        assert audit == [("needs_approval", "gapgates"), ("approve", "alice"), ("promote", "alice")]
        assert reg.production == report["registry"]["version"] and reg.load() is not None
    else:
        assert state.is_failed() and not promoted and report["registry"]["promoted"] is False
        assert "approval rejected by bob: checked by hand" in state.message
        assert audit == [("needs_approval", "gapgates"), ("reject", "bob")] and reg.production is None
        version = report["registry"]["version"]
        assert reg.audit()[1].reasons == ("checked by hand",) and reg.audit()[0].reasons == tuple(report["reasons"])
        stored = json.loads((registry / "versions" / version / "report.json").read_text())
        assert stored["decision"] == "needs_approval" and stored["policy_hash"] == report["policy_hash"]


def test_approval_timeout_blocks(prefect_api, options, tmp_path):
    from gapgates.flows.retrain import final_report

    from gapgates.registry import LocalRegistry

    registry = tmp_path / "registry"
    opts = {
        **options,
        "model": TREE,
        "name": "tree-timeout",
        "policy": _approval_policy(tmp_path, 2),
        "registry": str(registry),
        "promote": True,
    }
    state = _run(prefect_api, **opts)
    report, promoted = final_report(state)
    assert state.is_failed() and not promoted
    assert report["approval"]["timed_out"] and "approval timed out" in state.message
    reg = LocalRegistry(registry)
    entries = reg.audit()
    assert [(e.action, e.actor) for e in entries] == [("needs_approval", "gapgates"), ("reject", "gapgates")]
    assert entries[1].reasons == ("nobody approved within 2 s",) and reg.production is None
    version = report["registry"]["version"]
    assert entries[0].version == entries[1].version == version
    assert json.loads((registry / "versions" / version / "report.json").read_text())["decision"] == "needs_approval"


def test_the_docs_own_flow_example_composes_the_tasks(prefect_api, options, tmp_path):
    from gapgates.errors import ConfigError

    namespace: dict = {}
    exec(python_example("def my_gate"), namespace)  # the docs' own example (guides/your-own-flow.md)
    config = tmp_path / "gapgates.toml"
    config.write_text(
        "".join(f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n" for k, v in {**options, "model": TREE}.items())
    )
    assert namespace["my_gate"](str(config)) == "block"
    config.write_text(config.read_text().replace(options["data"], str(tmp_path / "gone.csv")))
    with pytest.raises(ConfigError, match=r"gone\.csv' does not exist"):
        namespace["my_gate"](str(config))


def test_a_second_promoting_run_is_compared_with_the_first(prefect_api, options, tmp_path):
    from gapgates.flows.retrain import final_report

    from gapgates.history import History
    from gapgates.registry import LocalRegistry

    registry = tmp_path / "registry"
    opts = {
        **options,
        "model": LOGREG,
        "name": "nightly",
        "registry": str(registry),
        "promote": True,
        "out": str(tmp_path / "out"),
    }
    first = _run(prefect_api, **opts)
    assert first.is_completed(), first.message
    second = _run(prefect_api, **opts)  # same data, same config: the folds come from the cache
    report, promoted = final_report(second)
    assert promoted and report["champion"]["version"] == "v1"
    regression = {c["name"]: c for c in report["checks"]}["champion_regression"]
    assert regression["status"] == "pass" and "production v1" in regression["message"]
    assert LocalRegistry(registry).production == "v2"
    assert [r.version for r in History(registry / "history.sqlite").runs()] == ["v1", "v2"]  # flows record versions
    validate_report(report)
    reference = report["noise"]["reference"]  # the first run's noise rate, recorded with v1 at registration
    assert reference["source"] == "registry" and reference["version"] == "v1"
    assert reference["rate"] == final_report(first)[0]["noise"]["rate"]
    assert f"; reference {reference['rate']:.4f} (production version v1)" in _artifact("gapgates-nightly").data


def test_the_drifted_columns_are_an_artifact(prefect_api, options, tmp_path):
    from gapgates.flows.retrain import final_report

    state = _run(prefect_api, **options, model=LOGREG, name="drifted", holdout_fraction=0.25)
    report, _ = final_report(state)
    validate_report(report)
    columns = report["shift"]["columns"]
    rows = json.loads(_artifact("gapgates-drifted-drift").data)
    assert [r["column"] for r in rows] == [c["column"] for c in columns] and len(rows) == 30  # every feature
    assert {"test", "statistic", "p_value", "psi", "drifted"} <= set(rows[0])
    drifted = ", ".join(report["shift"]["drifted"][:5]) or "none"
    assert f"- Drifted columns (KS / chi-square, α = 0.01): {drifted}" in _artifact("gapgates-drifted").data


def test_a_tampered_production_in_another_registry_blocks(prefect_api, options, tmp_path):
    from gapgates.flows.retrain import final_report

    from gapgates.registry import LocalRegistry

    opts = {**options, "model": LOGREG, "name": "nightly"}
    assert _run(prefect_api, **opts, registry=str(tmp_path / "a"), promote=True).is_completed()
    other = tmp_path / "b"
    assert _run(prefect_api, **opts, registry=str(other), promote=True).is_completed()
    model_file = other / "versions" / "v1" / "model.skops"
    raw = bytearray(model_file.read_bytes())
    raw[100] ^= 0xFF
    model_file.write_bytes(bytes(raw))
    state = _run(prefect_api, **opts, registry=str(other), promote=True)
    report, promoted = final_report(state)
    assert state.is_failed() and not promoted
    assert {c["name"]: c["status"] for c in report["checks"]}["champion_regression"] == "fail"
    assert LocalRegistry(other).production == "v1"


class _Injected(RuntimeError):
    pass


def _fail(*args, **kwargs):
    raise _Injected("injected failure")


@pytest.mark.parametrize("where", ["register", "write_reports", "history", "promote"])
def test_a_failure_after_the_decision_leaves_production_unchanged(prefect_api, options, tmp_path, monkeypatch, where):
    from gapgates.flows.retrain import final_report

    from gapgates.registry import LocalRegistry

    registry, out = tmp_path / "registry", tmp_path / "out"
    opts = {**options, "model": LOGREG, "name": "nightly", "registry": str(registry), "promote": True, "out": str(out)}
    assert _run(prefect_api, **opts).is_completed()
    before = len(LocalRegistry(registry).audit())
    targets = {
        "register": "gapgates.registry.local.LocalRegistry.register",
        "write_reports": "gapgates.report.build.write_reports",
        "history": "gapgates.history.History.add",
        "promote": "gapgates.registry.local.LocalRegistry.promote",
    }
    monkeypatch.setenv("PREFECT_TASK_DEFAULT_RETRIES", "0")
    monkeypatch.setattr(targets[where], _fail)
    state = _run(prefect_api, **opts)
    monkeypatch.undo()
    assert state.is_failed()
    reg = LocalRegistry(registry)
    assert reg.production == "v1"
    new = [e.action for e in reg.audit()[before:]]
    assert new.count("promote") == 0 and (new == [] if where == "register" else new[-1] == "withdraw")
    report = json.loads((out / "report.json").read_text())
    assert report["registry"]["production"] == "v1" and (
        report["registry"]["version"] == "v1" or report["registry"]["promoted"] is False
    )
    with pytest.raises(_Injected):
        final_report(state)


def test_a_failing_notification_after_the_switch_leaves_the_promotion_standing(prefect_api, options, tmp_path, monkeypatch):
    """The webhook is sent after production moved: when sending it fails, the run is what happened (promoted)."""
    from gapgates.flows.retrain import final_report

    from gapgates.registry import LocalRegistry

    registry, out = tmp_path / "registry", tmp_path / "out"
    opts = {**options, "model": LOGREG, "name": "nightly", "registry": str(registry), "promote": True, "out": str(out)}
    assert _run(prefect_api, **opts).is_completed()
    monkeypatch.setenv("PREFECT_TASK_DEFAULT_RETRIES", "0")
    monkeypatch.setattr("gapgates.notify.notify", _fail)
    state = _run(prefect_api, **opts)
    monkeypatch.undo()
    assert state.is_completed(), state
    reg = LocalRegistry(registry)
    assert reg.production == "v2" and reg.audit()[-1].action == "promote"
    report, promoted = final_report(state)
    assert promoted and report["registry"]["production"] == "v2" and report["registry"]["outcome"] == "promoted"
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["registry"]["outcome"] == "promoted" and on_disk["registry"]["version"] == "v2"


# --- the folds on Dask through prefect-dask: same numbers as the serial run, fold tasks executed on the cluster ---


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True) as local:
        yield local


@pytest.mark.slow
def test_dask_folds_match_the_serial_run(prefect_api, noisy_csv, cluster):
    from distributed import Client, get_task_stream
    from gapgates.flows.retrain import final_report, retrain_and_gate

    from gapgates.pipeline.definition import run_check
    from gapgates.report.build import build_report

    options = {
        "data": str(noisy_csv),
        "target": "label",
        "model": "sklearn.linear_model.LogisticRegression",
        "folds": 4,
        "seed": 11,
        "name": "dask-logreg",
    }
    with Client(cluster) as client, get_task_stream(client) as stream:
        state = retrain_and_gate(options={**options, "dask": cluster.scheduler_address}, return_state=True)
    report, _ = final_report(state)
    serial = build_report(run_check(CheckConfig(**options)))
    assert report["gap"] == serial["gap"]  # identical numbers, fold by fold
    assert report["decision"] == serial["decision"]
    keys = [t["key"] for t in stream.data]
    assert sum(1 for k in keys if "fit_one_fold" in k or "fit-fold" in k) >= 4, keys  # every fold ran on Dask


def test_recommend_fans_the_sweep_out_as_tasks_and_publishes_the_curve(prefect_api, options, tmp_path):
    from gapgates.flows.artifacts import sweep_rows
    from gapgates.flows.retrain import final_report, gate_config, retrain_and_gate

    from gapgates.gate import run_gate

    policy = tmp_path / "policy.toml"  # the mean accuracy gap only: a shallow tree passes, the unbounded one does not
    policy.write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "mean"\n'
        "[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n"
    )
    asked = {**options, "policy": str(policy), "model": TREE, "name": "tree-recommend", "folds": 3, "n_jobs": 2}
    state = retrain_and_gate(
        options={**asked, "out": str(tmp_path / "flow"), "history": str(tmp_path / "f.sqlite")}, recommend=True, return_state=True
    )
    assert state.is_failed() and state.message.startswith("Blocked: ")  # the decision stands
    report, _ = final_report(state)
    section = report["recommendation"]
    assert section["param"] == "max_depth" and section["tried"] == list(range(1, 13))
    # the library's run (gapgates check --recommend) finds the same, value by value
    local = run_gate(
        gate_config(options={**asked, "recommend": True, "out": str(tmp_path / "local"), "history": str(tmp_path / "l.sqlite")})
    )
    assert local.report["recommendation"] == section
    flow_sweep = json.loads((tmp_path / "flow" / "sweep.json").read_text())
    local_sweep = json.loads((tmp_path / "local" / "sweep.json").read_text())
    assert [e["gap"] for e in flow_sweep["values"]] == [e["gap"] for e in local_sweep["values"]]
    # one judge-value task per value, submitted through the flow's task runner
    runs = _task_runs(state.state_details.flow_run_id, until=lambda r: sum(t.name.startswith("sweep-") for t in r) >= 12)
    assert sorted(t.name for t in runs if t.name.startswith("sweep-")) == sorted(f"sweep-max_depth={v}" for v in range(1, 13))
    table = _artifact("gapgates-tree-recommend-sweep")
    assert table.flow_run_id == state.state_details.flow_run_id and table.type == "table"
    rows = json.loads(table.data)
    assert rows == sweep_rows(flow_sweep) and [r["value"] for r in rows] == [str(v) for v in range(1, 13)]
    assert {"value", "train", "test", "gap", "regime"} <= set(rows[0])
    markdown = _artifact("gapgates-tree-recommend-recommendation")
    assert section["param_line"] is not None and markdown.type == "markdown"
    assert f"**Recommended: {section['param_line']} " in markdown.data
    # the report artifact carries it too, among the mitigations
    assert f"Verified by a capacity sweep of max_depth: {section['param_line']}" in _artifact("gapgates-tree-recommend").data
