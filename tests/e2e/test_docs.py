"""The docs' commands run as real subprocesses, and their shown output is compared with what they print.

Where the output holds a time (history, digest), times are masked before comparing; everything else is compared
line for line. The demo runs once for the module, in a temporary directory holding the shipped policies, as a
user's checkout would.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, bash_commands, code_blocks, doc_commands, doc_page, python_example, run_cli_process

TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d\+00:00)?( UTC)?")


def _project(path: Path) -> Path:
    shutil.copytree(ROOT / "gapgates" / "policies", path / "gapgates" / "policies")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    """A directory where `gapgates demo --out demo-report` ran, and its stdout."""
    project = _project(tmp_path_factory.mktemp("demo"))
    proc = run_cli_process("demo", "--out", "demo-report", cwd=project)
    assert proc.returncode == 0, proc.stderr
    return project, proc.stdout


def _console(page: str, command: str) -> tuple[str, list[str]]:
    """The console block of ``page`` whose first command starts with ``command``: (its last command, output lines)."""
    for block in code_blocks("console", text=doc_page(page)):
        if block.startswith(f"$ {command}"):
            joined = block.replace("\\\n", " ")
            commands = [line[2:] for line in joined.splitlines() if line.startswith("$ ")]
            output = joined.split(commands[-1], 1)[1].strip("\n").splitlines()
            return commands[-1], output
    raise AssertionError(f"no console block starting with {command!r} in {page}")


def _run(command: str, cwd: Path):
    args = shlex.split(command)
    assert args[0] == "gapgates"
    return run_cli_process(*args[1:], cwd=cwd)


def test_the_getting_started_commands_run(tmp_path):
    block = next(
        b
        for b in code_blocks("bash", text=doc_page("getting-started.md"))
        if "gapgates demo --out demo-report\ngapgates check" in b
    )
    commands = bash_commands("gapgates ", text=f"```bash\n{block}```")
    assert len(commands) >= 3
    _project(tmp_path)
    for command in commands:
        proc = _run(command, tmp_path)
        assert proc.returncode in (0, 1), f"{command}\n{proc.stderr}"
        assert "report" in proc.stdout or "Demo data" in proc.stdout


def test_the_demo_output_shown_is_the_demo_output(demo):
    """README.md and getting-started.md show the demo's summary as it prints it, line for line."""
    _, stdout = demo
    for text in ((ROOT / "README.md").read_text(encoding="utf-8"), doc_page("getting-started.md")):
        shown = next(b for b in code_blocks("text", text=text) if b.startswith("BLOCK  unbounded-tree"))
        assert shown.strip() in stdout, shown


def test_the_history_output_shown_is_the_history_output(demo):
    project, _ = demo
    command, shown = _console("guides/reports.md", "gapgates history --history")
    proc = _run(command, project)
    assert proc.returncode == 0, proc.stderr
    assert [TIME.sub("TIME", line) for line in proc.stdout.strip("\n").splitlines()] == [TIME.sub("TIME", s) for s in shown]


def test_the_report_rerender_output_shown_is_its_output(demo):
    project, _ = demo
    command, shown = _console("guides/reports.md", "gapgates report --from")
    proc = _run(command, project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip("\n").splitlines() == shown


def test_the_digest_commands_print_the_digest_shown(tmp_path):
    _project(tmp_path)
    block = next(b for b in code_blocks("console", text=doc_page("guides/monitoring.md")) if "gapgates digest --history" in b)
    joined = block.replace("\\\n", " ")
    commands = [line[2:] for line in joined.splitlines() if line.startswith("$ ")]
    for command in commands[:-1]:
        proc = _run(command, tmp_path)
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"
    proc = _run(commands[-1], tmp_path)
    assert proc.returncode == 0, proc.stderr
    shown = joined.split(commands[-1], 1)[1].strip("\n").splitlines()
    assert [TIME.sub("TIME", line) for line in proc.stdout.strip("\n").splitlines()] == [TIME.sub("TIME", s) for s in shown]


def test_the_readme_prefect_example_promotes_the_demo_model(prefect_api, demo, tmp_path, monkeypatch):
    """README.md's five lines: after the demo, from the project root, the flow runs deployments/gapgates.toml."""
    project, _ = demo
    shutil.copytree(ROOT / "deployments", project / "deployments", dirs_exist_ok=True)
    monkeypatch.chdir(project)
    namespace: dict = {}
    exec(python_example('report = retrain_and_gate(config_path="deployments/gapgates.toml")'), namespace)
    assert namespace["report"]["decision"] == "promote"
    assert (project / "demo-report" / "scheduled" / "report.json").is_file()


def _block_commands(page: str, first: str) -> list[str]:
    """The ``gapgates`` lines of the bash block of ``page`` whose text contains ``first``, continuations joined."""
    block = next(b for b in code_blocks("bash", text=doc_page(page)) if first in b)
    return [line.split(" #", 1)[0].strip() for line in block.replace("\\\n", " ").splitlines() if line.startswith("gapgates ")]


@pytest.fixture
def train_csv(tmp_path) -> Path:
    """The docs' ``train.csv``: breast cancer with the target column ``label``."""
    from sklearn.datasets import load_breast_cancer

    path = tmp_path / "train.csv"
    load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).to_csv(path, index=False)
    return path


def test_the_registry_commands_run(train_csv):
    """guides/registry.md: check --promote, show, list, rollback, rollback --to, verify (the check runs twice, so the
    rollback has a previous production to go back to)."""
    commands = _block_commands("guides/registry.md", "--registry registry/ --promote")
    assert [c.split()[1:3] for c in commands][1:] == [
        ["registry", "show"],
        ["registry", "list"],
        ["registry", "rollback"],
        ["registry", "rollback"],
        ["registry", "verify"],
    ]
    for command in [commands[0], *commands]:
        proc = _run(command, train_csv.parent)
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"
        if command.startswith("gapgates registry rollback --registry"):
            assert proc.stdout.strip() == "production: v2 -> v1"
    assert "every checksum matches" in proc.stdout


def test_the_mlflow_commands_run(train_csv):
    """guides/mlflow.md: check into an MLflow sqlite store under the alias champion, then registry show --json."""
    commands = _block_commands("guides/mlflow.md", "mlflow:sqlite:///mlflow.db --promote")
    assert len(commands) == 2
    proc = _run(commands[0], train_csv.parent)
    assert proc.returncode == 0, proc.stderr
    proc = _run(commands[1], train_csv.parent)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["production"] == "1"


def test_the_profile_command_writes_a_suite(train_csv):
    """guides/data-quality.md: `gapgates profile` on accepted data writes GX's suite JSON (the optional margin left out)."""
    (command,) = _block_commands("guides/data-quality.md", "gapgates profile --data accepted.csv")
    train_csv.rename(train_csv.parent / "accepted.csv")
    proc = _run(command.split(" [", 1)[0], train_csv.parent)
    assert proc.returncode == 0, proc.stderr
    suite = json.loads((train_csv.parent / "accepted.json").read_text())
    assert suite["expectations"]


def test_the_gapgates_run_commands_record_the_flow_run_on_the_server(prefect_api, demo, monkeypatch):
    """guides/prefect.md: after the demo, `gapgates run` with the check's options runs the flow, on the server
    PREFECT_API_URL names (the session's test server), and writes the report; exit 0 for the promoted model."""
    from prefect import get_client

    project, _ = demo
    commands = doc_commands("guides/prefect.md", "gapgates run --data demo-report/breast_cancer.csv")
    assert commands[0] == "gapgates demo --out demo-report" and len(commands) == 2  # the demo fixture ran the first
    with get_client(sync_client=True) as client:
        before = {r.id for r in client.read_flow_runs()}
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    proc = _run(commands[1], project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((project / "demo-report" / "flow" / "report.json").read_text())["decision"] == "promote"
    with get_client(sync_client=True) as client:
        new = [r for r in client.read_flow_runs() if r.id not in before]
    assert [r.state.is_completed() for r in new] == [True], new
    assert str(new[0].parameters["options"]["out"]).endswith("demo-report/flow"), new[0].parameters


def test_the_recommend_flow_block_blocks_the_tree_and_recommends_a_depth(prefect_api, demo, monkeypatch):
    """guides/prefect.md: the flow with recommend=True on a gapgates.toml of the demo's unbounded tree, under a policy
    on the mean accuracy gap alone (the demo policy's baseline checks pass no tree on this data): the run is blocked for
    overfit (RunBlocked, carrying the report) and the report names a verified max_depth."""
    from gapgates import RunBlocked

    project, _ = demo
    work = project / "recommend"
    work.mkdir()
    (work / "policy.toml").write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "mean"\n'
        "[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n"
    )
    (work / "gapgates.toml").write_text(
        'data = "../demo-report/breast_cancer.csv"\ntarget = "target"\nmodel = "sklearn.tree.DecisionTreeClassifier"\n'
        'name = "unbounded-tree"\npolicy = "policy.toml"\nout = "out"\nfolds = 5\nseed = 0\n'
    )
    monkeypatch.chdir(work)
    with pytest.raises(RunBlocked) as blocked:
        exec(python_example('retrain_and_gate(config_path="gapgates.toml", recommend=True)'), {})
    report = blocked.value.report
    assert report["decision"] == "block" and report["diagnosis"]["label"] == "overfit"
    recommendation = report["recommendation"]
    assert recommendation["param"] == "max_depth" and recommendation["tried"] == list(range(1, 13))
    assert re.fullmatch(r"--param max_depth=\d+", recommendation["param_line"]), recommendation


def test_the_decision_benchmark_block_reproduces_the_stored_run(tmp_path):
    """performance.md: the one-table run of the decision benchmark, as shown (with ``--out`` added), decides each of its
    cases as the stored full run (benchmarks/results/decisions.json) did: the same outcome and diagnosis."""
    (line,) = doc_commands("performance.md", "bench_decisions.py --tables")
    cd, command = (part.strip() for part in line.split("&&"))
    args = shlex.split(command)
    assert cd == "cd benchmarks" and args[0] == "../.venv/bin/python", line
    out = tmp_path / "run.json"
    proc = subprocess.run(
        [sys.executable, *args[1:], "--out", str(out)], cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "=== Rates (default policy, first runs) ===" in proc.stdout
    run = json.loads(out.read_text(encoding="utf-8"))["cases"]
    stored = json.loads((ROOT / "benchmarks" / "results" / "decisions.json").read_text(encoding="utf-8"))["cases"]
    key = ("table", "model", "fault", "seed")
    previous = {tuple(c[k] for k in key): (c["outcome"], c["diagnosis"]) for c in stored}
    assert len(run) == 5 and not [c for c in run if c["error"]]
    assert {tuple(c[k] for k in key): (c["outcome"], c["diagnosis"]) for c in run} == {
        tuple(c[k] for k in key): previous[tuple(c[k] for k in key)] for c in run
    }


def test_the_estimate_benchmark_block_runs_and_scores_the_promotion_shown(tmp_path):
    """guides/monitoring.md: the one-table run of the label-free estimate benchmark, as shown, prints its table; its
    accuracy at promotion for the table and model is the one the page's full table shows (the same seed and split)."""
    (line,) = doc_commands("guides/monitoring.md", "bench_estimate.py --tables")
    cd, command = (part.strip() for part in line.split("&&"))
    args = shlex.split(command)
    assert cd == "cd benchmarks" and args[0] == "../.venv/bin/python", line
    proc = subprocess.run([sys.executable, *args[1:]], cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    printed = [row.split(" | ") for row in proc.stdout.splitlines() if row.startswith("| default | logreg |")]
    shown = [
        row.split(" | ")
        for block in [doc_page("guides/monitoring.md")]
        for row in block.splitlines()
        if row.startswith("| default | logreg | 3 |")
    ]
    assert [r[3] for r in printed] == ["unshifted", "shifted"] and [r[2] for r in printed] == ["1", "1"]
    assert {r[4] for r in printed} == {r[4] for r in shown} and len(shown) == 2  # accuracy at promotion
