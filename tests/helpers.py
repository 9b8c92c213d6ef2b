"""Shared test helpers (not fixtures: those live in tests/conftest.py).

Import them as ``from tests.helpers import ...``. Library imports that are heavy (the gate run,
the report writers) happen inside the functions that need them, so importing this module is cheap.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

if TYPE_CHECKING:
    from click.testing import Result

    from gapgates.history import RunRecord
    from gapgates.pipeline.steps import RunResult
    from gapgates.registry import LocalRegistry

ROOT = Path(__file__).resolve().parents[1]


# --- native threads ------------------------------------------------------------------------------------


def openmp_threads() -> set[int]:
    """The OpenMP threads the calling thread may use now, per loaded OpenMP runtime (threadpoolctl's reading)."""
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


# --- the CLI (a subprocess or in-process), the docs' commands ---------------------------------------


def run_cli_process(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gapgates ARGS`` in a subprocess with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "gapgates", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


def invoke(*args: object) -> Result:
    """The gapgates CLI in-process (click's CliRunner); each argument is passed as ``str(arg)``."""
    from click.testing import CliRunner

    from gapgates.cli.main import cli

    return CliRunner().invoke(cli, list(map(str, args)))


#: The documentation: the README (a landing page) and the site's Markdown sources under docs/.
DOC_PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))


def docs_text() -> str:
    """Every documentation page, README first, as one text (what the doc tests search their examples in)."""
    return "\n".join(page.read_text(encoding="utf-8") for page in DOC_PAGES)


def doc_page(relative: str) -> str:
    """One page of the docs, by its path under docs/ (``guides/cli.md``)."""
    return (ROOT / "docs" / relative).read_text(encoding="utf-8")


def code_blocks(language: str, *, text: str | None = None) -> list[str]:
    """The fenced blocks of ``language`` in ``text`` (every doc page by default), indented ones included, dedented."""
    import textwrap

    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```", docs_text() if text is None else text, flags=re.S | re.M)
    return [textwrap.dedent(body) for _, body in found]


def python_example(marker: str) -> str:
    """The one Python block of the docs containing ``marker`` (the doc tests run it)."""
    found = [block for block in code_blocks("python") if marker in block]
    assert found, f"no Python block of the docs contains {marker!r}"
    return found[0]


def bash_commands(prefix: str, *, text: str | None = None) -> list[str]:
    """The lines starting with ``prefix`` in the ```bash blocks of ``text`` (every doc page by default), comments cut."""
    if text is None:
        text = docs_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.startswith(prefix)]


def doc_commands(page: str, marker: str) -> list[str]:
    """The command lines of the one bash block of ``page`` (a path under docs/) containing ``marker``: continuations
    joined, comments and blank lines cut, in order (the e2e tests run them as the page shows them)."""
    found = [b for b in code_blocks("bash", text=doc_page(page)) if marker in b]
    assert len(found) == 1, f"{len(found)} bash blocks of {page} contain {marker!r}"
    lines = (line.split(" #", 1)[0].strip() for line in found[0].replace("\\\n", " ").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def python_argv(line: str) -> list[str]:
    """A docs' command line as the argv to run here: ``prefect``/``gapgates``/``python`` from this interpreter."""
    import shlex

    args = shlex.split(line)
    if args[0] == "python":
        return [sys.executable, *args[1:]]
    assert args[0] in ("prefect", "gapgates"), line
    return [sys.executable, "-m", args[0], *args[1:]]


# --- generated data ------------------------------------------------------------------------------------


def noisy_classification(n: int = 600, *, flip: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """Generated 2-class data with a share of labels flipped at random."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=10, n_informative=5, random_state=seed)
    rng = np.random.default_rng(seed)
    flipped = rng.random(n) < flip
    y = np.where(flipped, 1 - y, y)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["label"] = y
    return frame


def hard_classification(n: int = 1200, *, flip: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Clean but hard 2-class data: four clusters, each with 12% of its rows of the other class (a Bayes error of
    12% that no feature can explain away; cleanlab flags > 10% of the rows), then a share ``flip`` of labels flipped."""
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, 4, n)
    centres = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0], [0.0, -3.0]])
    X = centres[cluster] + rng.normal(size=(n, 2))
    majority = cluster % 2
    y = np.where(rng.random(n) < 0.12, 1 - majority, majority)
    if flip:
        flipped = np.random.default_rng(seed + 1).random(n) < flip
        y = np.where(flipped, 1 - y, y)
    return pd.DataFrame(X, columns=["x0", "x1"]).assign(label=y)


# --- the run history -----------------------------------------------------------------------------------


def monitor_data(n: int, *, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Generated 2-class rows whose label is ``x1 > 0.5·x0² − 1``: a linear model is right near x0 = 0 only.

    ``shift`` moves ``x0`` (and the mix of ``region``): the covariate shift under which a model fit on
    unshifted rows loses accuracy (the label rule is the same everywhere).
    """
    rng = np.random.default_rng(seed)
    x0, x1, x2 = rng.normal(shift, 1, n), rng.normal(0, 1.5, n), rng.normal(0, 1, n)
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2] if shift == 0 else [0.2, 0.3, 0.5])
    return pd.DataFrame({"x0": x0, "x1": x1, "x2": x2, "region": region, "label": (x1 > 0.5 * x0**2 - 1).astype(int)})


def boundary_data(n: int, *, spread: float = 2.0, seed: int = 0) -> pd.DataFrame:
    """Rows whose label is drawn from a logistic model of ``x0`` (and ``x1``): a logistic regression is calibrated on
    them. A small ``spread`` puts the rows near the decision boundary, where the model is right less often and knows it:
    the covariate shift a label-free estimate can see."""
    rng = np.random.default_rng(seed)
    x0, x1 = rng.normal(0, spread, n), rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-(2.5 * x0 + 0.5 * x1)))
    return pd.DataFrame({"x0": x0, "x1": x1, "label": (rng.uniform(size=n) < p).astype(int)})


#: A policy a logistic regression on :func:`monitor_data` passes (its gap interval reaches ≈0.05 on 1,500 rows).
MONITOR_POLICY = "[gap]\nmax_gap = 0.1\n[noise]\nmax_rate = 0.2\n"


def promoted_for_monitoring(root: Path) -> tuple[Path, Path]:
    """A logistic regression named ``clf`` gated and promoted in ``root/registry`` on :func:`monitor_data` rows
    (in-process ``gapgates check --promote``); returns the registry and the policy file."""
    root.mkdir(parents=True, exist_ok=True)
    train, policy = root / "train.csv", root / "policy.toml"
    monitor_data(1500).to_csv(train, index=False)
    policy.write_text(MONITOR_POLICY)
    result = invoke(
        "check",
        "--data",
        train,
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--param",
        "max_iter=1000",
        "--name",
        "clf",
        "--registry",
        root / "registry",
        "--promote",
        "--policy",
        policy,
        "--out",
        root / "gate",
    )
    assert result.exit_code == 0, result.output
    return root / "registry", policy


def run_record(model: str = "m", gap: float = 0.02, **kw: Any) -> RunRecord:
    """A history record of one run (accuracy gap ``gap`` with a CI of +-0.01, and an f1 gap); ``kw`` overrides."""
    from gapgates.history import MetricRecord, RunRecord

    fields = {
        "time": "2026-01-01T00:00:00+00:00",
        "model": model,
        "version": None,
        "fingerprint": "f" * 64,
        "decision": "promote",
        "primary_metric": "accuracy",
        "gaps": {"accuracy": MetricRecord(gap, gap - 0.01, gap + 0.01), "f1": MetricRecord(0.1, None, None)},
    }
    return RunRecord(**{**fields, **kw})


#: The long model name of :func:`digest_world` (the phone layout must wrap it).
LONG_MODEL = "ranking_model_with_a_rather_long_name_for_small_screens"


def digest_world(root: Path) -> tuple[Path, Path]:
    """A run history of three models and 13 runs, and the real directory registry of one of them; returns
    ``(history, registry)``.

    * ``fraud`` (registry): gate runs promote v1, block v2, needs_approval v3 (unanswered), promote v4 (production),
      then monitor runs ``ok`` and ``retrain`` (production gap 0.08 [0.05, 0.11]);
    * ``churn`` (no registry): three gate runs (the block has diagnosis ``noise``) and one monitor run ``ok``;
    * :data:`LONG_MODEL`: three gate runs, the last a needs_approval approved by alice (not open).
    """
    from sklearn.linear_model import LogisticRegression

    from gapgates.history import History, MetricRecord
    from gapgates.registry import LocalRegistry

    history, reg = History(root / "history.sqlite"), LocalRegistry(root / "registry")
    model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1])
    day = iter(range(1, 32))

    def add(
        name: str,
        decision: str,
        gap: float,
        *,
        kind: str = "gate",
        reasons: tuple[str, ...] = (),
        registered: bool = False,
        version: str | None = None,
        **kw: Any,
    ) -> None:
        time = f"2026-03-{next(day):02d}T03:00:00+00:00"
        if registered:
            version = reg.register(
                model, name=name, metadata={"decision": decision, "reasons": list(reasons), "run_created": time}
            )
            if decision == "promote":
                reg.promote(version)
            else:
                reg.record(version, decision, reasons=reasons)
        gaps = {"accuracy": MetricRecord(gap, gap - 0.01, gap + 0.01), "f1": MetricRecord(gap + 0.01, None, None)}
        history.add(run_record(name, gap, time=time, decision=decision, version=version, kind=kind, gaps=gaps, **kw))

    add("fraud", "promote", 0.02, registered=True)
    add("fraud", "block", 0.09, registered=True, reasons=("gap:accuracy upper bound 0.1 > limit 0.05",))
    add("fraud", "needs_approval", 0.05, registered=True, reasons=("gap:accuracy straddles 0.05",))
    add("fraud", "promote", 0.03, registered=True)
    add("fraud", "ok", 0.01, kind="monitor", version="v4")
    add("fraud", "retrain", 0.08, kind="monitor", version="v4")
    add("churn", "promote", 0.01)
    add("churn", "block", 0.07, diagnosis="noise")
    add("churn", "promote", 0.02)
    add("churn", "ok", 0.0, kind="monitor")
    add(LONG_MODEL, "promote", 0.03)
    add(LONG_MODEL, "promote", 0.04)
    add(
        LONG_MODEL,
        "needs_approval",
        0.06,
        approval={"approved": True, "actor": "alice", "reason": "known shift", "timed_out": False},
    )
    return history.path, reg.root


# --- a real webhook on 127.0.0.1 (the server runs in a thread of the test process) ---------------------


class WebhookHandler(BaseHTTPRequestHandler):
    """Records each POST (content type and JSON body) in ``server.received``; answers ``server.status``."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def webhook_url(server: HTTPServer) -> str:
    """The URL of the webhook served by ``server``."""
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the model registry --------------------------------------------------------------------------------


def two_promoted(root: Path) -> LocalRegistry:
    """A LocalRegistry at ``root`` whose two versions (tiny logistic regressions) were each promoted: v2 is production."""
    from sklearn.linear_model import LogisticRegression

    from gapgates.registry import LocalRegistry

    X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]
    reg = LocalRegistry(root)
    for _ in range(2):
        reg.promote(reg.register(LogisticRegression().fit(X, Y), name="clf", metadata={"decision": "promote"}))
    return reg


#: A toy model's training rows, and the metadata registry tests register it with.
X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]
META = {
    "decision": "promote",
    "policy_hash": "ph1",
    "data_fingerprint": "fp1",
    "gap": {"accuracy": {"gap_mean": 0.02, "test_mean": 0.9}},
}


def sqlite_uri(tmp_path: Path) -> str:
    """An MLflow tracking URI of a sqlite store in ``tmp_path``."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


# --- real gate runs shared by the registry tests: one that promotes, one that blocks -------------------

LOGREG = "sklearn.linear_model.LogisticRegression"
PERMISSIVE = {
    "gap": {"max_gap": 0.9},
    "noise": {"max_rate": 1.0, "max_confident_error_ratio": 100},
}  # noisy data: judge the gap only
STRICT = {"gap": {"max_gap": 0.0001}}


def gate_run(data: Path, scratch: Path, policy: dict, *, model: str = LOGREG) -> RunResult:
    """Run the gate with a registry option set (so the final model is fit), on 3 folds."""
    from gapgates.config import make_config
    from gapgates.judge.policy import parse_policy
    from gapgates.pipeline.definition import run_check

    config = make_config({"data": data, "target": "label", "model": model, "folds": 3, "registry": scratch})
    return run_check(config, policy=parse_policy(policy))


def write_noisy(path: Path, n: int = 300) -> Path:
    """A small noisy classification CSV (target ``label``)."""
    noisy_classification(n, flip=0.1).to_csv(path, index=False)
    return path


# --- real reports for the report/history/notify tests (one real gate run, no mocks) --------------------


def real_run(tmp: Path, *, name: str = "tree", policy: Path | None = None, history: Path | None = None) -> Path:
    """Run the gate on generated noisy data with an unbounded tree (blocked); return the report directory."""
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check
    from gapgates.publishing import publish

    data = tmp / "data.csv"
    if not data.exists():
        noisy_classification(n=300).to_csv(data, index=False)
    out = tmp / "reports" / name
    config = make_config(
        {
            "data": data,
            "target": "label",
            "model": "sklearn.tree.DecisionTreeClassifier",
            "name": name,
            "out": out,
            "policy": policy,
            "history": history,
            "folds": 3,
        }
    )
    publish(run_check(config), out=out)
    return out


def load(out: Path) -> dict[str, Any]:
    """The report.json in a directory."""
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def with_optional_sections(report: dict[str, Any]) -> dict[str, Any]:
    """The report plus every optional section, in the shapes a real ``gapgates check`` writes.

    Copied from a real report (``--holdout-fraction 0.2 --learning-curve --registry --promote``, second
    run so a champion exists; the training curve from a ``--training-curve`` run of a boosting model) and
    trimmed; a few values are changed so that each section has something to show (a failed expectation,
    copied holdout rows, a noise diagnosis).
    """
    return {
        **report,
        "noise": {
            "rate": 0.183,
            "n_issues": 55,
            "rows": 300,
            "filter_by": "prune_by_noise_rate",
            "per_class": {
                "0": {"rows": 148, "issues": 25, "rate": 0.168919, "estimated_noise": 0.157},
                "1": {"rows": 152, "issues": 30, "rate": 0.197368, "estimated_noise": 0.2114},
            },
            "issues": [
                {"row": 17, "given": 1, "suggested": 0, "quality": 0.012},
                {"row": 203, "given": 0, "suggested": 1, "quality": 0.031},
            ],
            "skipped": None,
            "reference": {"rate": 0.12, "source": "registry", "version": "v1", "reason": None},
        },
        "noise_adjusted": {
            "removed": 55,
            "memorised": 0.9345,
            "metrics": {
                "accuracy": {
                    "train_mean": 1.0,
                    "test_mean": 0.8712,
                    "gap_mean": 0.1288,
                    "gap_ci_low": 0.0815,
                    "gap_ci_high": 0.1761,
                    "relative_gap": 0.1288,
                    "folds": [{"train": 1.0, "test": 0.88}, {"train": 1.0, "test": 0.86}, {"train": 1.0, "test": 0.8736}],
                }
            },
        },
        "shift": {
            "auc": 0.81,
            "top_features": [{"feature": "x3", "auc": 0.693088}, {"feature": "x7", "auc": 0.689686}],
            "rows": 300,
            "seconds": 0.626,
            "drift_alpha": 0.01,
            "drifted": ["x3"],
            "columns": [
                {"column": "x3", "test": "ks", "statistic": 0.41, "p_value": 1e-9, "psi": 0.52, "drifted": True},
                {"column": "x7", "test": "ks", "statistic": 0.08, "p_value": 0.31, "psi": 0.03, "drifted": False},
            ],
        },
        "leakage": {
            "holdout_rows": 60,
            "exact_duplicates": 2,
            "near_duplicates": 3,
            "near_checked": 60,
            "duplicate_rate": 0.05,
            "duplicate_rows": [12, 40, 57],
            "top_features": [{"feature": "x1", "score": 0.786893}, {"feature": "x4", "score": 0.764585}],
            "seconds": 0.149,
        },
        "diagnosis": {
            "label": "noise",
            "explanation": "18.3% of labels look wrong; the gap shrinks by 0.12 without them.",
            "mitigations": ["Relabel the flagged rows.", "Use a loss robust to label noise."],
            "also": ["overfit"],
        },
        "learning_curve": {
            "metric": "accuracy",
            "points": [
                {"rows": 40, "train": 1.0, "test": 0.61, "gap": 0.39},
                {"rows": 120, "train": 1.0, "test": 0.67, "gap": 0.33},
                {"rows": 200, "train": 1.0, "test": 0.705, "gap": 0.295},
            ],
            "more_data_helps": True,
            "verdict": "From 120 to 200 training rows the gap went from 0.330 to 0.295: more data would likely help.",
        },
        "training_curve": {
            "metric": "accuracy",
            "param": "max_iter",
            "method": "staged",
            "fitted_iterations": 3,
            "best_iteration": 2,
            "stopping_iteration": 1,
            "param_line": "--param max_iter=1",
            "skipped": None,
            "verdict": "The mean validation accuracy peaks at iteration 2 of 3 (0.7200; train 0.8600, gap 0.1400); "
            "iteration 1 is within one standard error of it: stop early with --param max_iter=1.",
            "points": [
                {"iteration": 1, "train": 0.8, "test": 0.71, "gap": 0.09, "test_se": 0.015},
                {"iteration": 2, "train": 0.86, "test": 0.72, "gap": 0.14, "test_se": 0.01},
                {"iteration": 3, "train": 0.9, "test": 0.7, "gap": 0.2, "test_se": 0.02},
            ],
            "folds": [
                {"train": [0.8, 0.86, 0.9], "test": [0.695, 0.71, 0.68]},
                {"train": [0.8, 0.86, 0.9], "test": [0.725, 0.73, 0.72]},
            ],
        },
        "quality": {
            "success": False,
            "critical": True,
            "suites": ["gapgates-builtin"],
            "rows": {"data": 300},
            "seconds": 1.065,
            "results": [
                {
                    "name": "quality:expect_table_row_count_to_be_between",
                    "expectation": "expect_table_row_count_to_be_between",
                    "column": None,
                    "success": True,
                    "critical": True,
                    "observed": 300,
                    "details": {"expected": {"min_value": 1}, "severity": "critical"},
                    "dataset": "data",
                    "rule": "min_rows",
                },
                {
                    "name": "quality:expect_column_values_to_not_be_null:label:target_not_null",
                    "expectation": "expect_column_values_to_not_be_null",
                    "column": "label",
                    "success": False,
                    "critical": True,
                    "observed": 0.01,
                    "details": {
                        "expected": {},
                        "severity": "critical",
                        "element_count": 300,
                        "unexpected_count": 3,
                        "examples": [None, None, None],
                    },
                    "dataset": "data",
                    "rule": "target_not_null",
                },
            ],
        },
        "registry": {"version": "v7", "promoted": False, "production": "v6", "previous": "v6"},
        "champion": {
            "version": "v6",
            "metric": "accuracy",
            "test": [0.75, 0.73, 0.74],
            "test_mean": 0.74,
            "holdout": None,
            "recorded_gap": 0.2125,
            "reason": None,
        },
    }


# --- code run with ``python -c`` by the registry crash and concurrency tests ---------------------------
# One interpreter imports scikit-learn and skops once, then forks the processes
# that promote, so 50 kill trials take seconds, not minutes.

CRASH = r"""
import io, json, os, random, signal, sys, time
from contextlib import redirect_stdout
from sklearn.dummy import DummyClassifier
from gapgates.cli.main import cli
from gapgates.registry import LocalRegistry

root, trials, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = DummyClassifier().fit([[0], [1]], [0, 1])
rng = random.Random(seed)

def promote_once():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        reg = LocalRegistry(root)
        version = reg.register(model, name="tiny", metadata={"decision": "promote"})
        os.write(w, version.encode())
        reg.promote(version, actor=f"pid{os.getpid()}")
        os._exit(0)
    os.close(w)
    return pid, r

def finish(pid, r):
    os.waitpid(pid, 0)
    new = os.read(r, 64).decode() or None
    os.close(r)
    return new

def show():
    buf = io.StringIO()
    with redirect_stdout(buf):
        cli.main(["registry", "show", "--registry", root, "--json"], standalone_mode=False)
    return json.loads(buf.getvalue())

seed_reg = LocalRegistry(root)
seed_reg.promote(seed_reg.register(model, name="tiny", metadata={"decision": "promote"}))
durations = []
for _ in range(3):
    start = time.perf_counter(); pid, r = promote_once(); finish(pid, r); durations.append(time.perf_counter() - start)
span = 1.3 * max(durations)
print(json.dumps({"calibration": durations}), flush=True)
for trial in range(trials):
    old = LocalRegistry(root).production
    delay = rng.uniform(0, span)
    pid, r = promote_once()
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    new = finish(pid, r)
    reg = LocalRegistry(root)
    shown = show()
    prod = reg.production
    loaded = type(reg.load()).__name__
    print(json.dumps({"trial": trial, "delay": delay, "old": old, "new": new, "production": prod,
                      "shown": shown["production"], "loaded": loaded, "problems": reg.verify()}), flush=True)
"""

CONCURRENT = r"""
import json, os, sys
from sklearn.dummy import DummyClassifier
from gapgates.registry import LocalRegistry

import filelock, skops.io  # imported once here, not in each child

root, n = sys.argv[1], int(sys.argv[2])
model = DummyClassifier().fit([[0], [1]], [0, 1])
gate_r, gate_w = os.pipe()
out_r, out_w = os.pipe()
pids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(gate_w)
        reg = LocalRegistry(root)
        version = reg.register(model, name="tiny", metadata={"decision": "promote", "policy_hash": f"p{i}"})
        os.write(out_w, (version + "\n").encode())
        os.read(gate_r, 1)  # every child waits here until the gate opens
        reg.promote(version, actor=f"child{i}")
        os._exit(0)
    pids.append(pid)
os.close(out_w)
versions = []
with os.fdopen(out_r) as fh:
    while len(versions) < n:
        versions.append(fh.readline().strip())
os.close(gate_w)  # EOF: all children promote at once
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
print(json.dumps({"versions": versions, "codes": codes}))
"""


# --- a tiny Chrome DevTools Protocol client for the browser tests: real headless Chromium, no mocks ----
# The browser is started on 127.0.0.1 with a throw-away profile and stopped by PID.

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


def find_chromium() -> tuple[str | None, str]:
    """Path of an installed Chromium, else (None, why). The tests never install it: CI's .ci/run does."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path, ""
    return None, (
        "chromium is not installed (tests do not install system packages; "
        "install Debian's chromium, as .ci/run does, to run the browser tests)"
    )


class Chromium:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, binary: str, *, width: int = 1000, height: int = 800, mobile: bool = False) -> None:
        self.profile = tempfile.mkdtemp(prefix="gapgates-chromium-")
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.events: list[dict[str, Any]] = []
        self._id = 0
        try:
            port = self._port()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                pages = [t for t in json.load(resp) if t.get("type") == "page"]
            from websockets.sync.client import connect

            self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
            for method in ("Runtime.enable", "Log.enable", "Page.enable"):
                self.call(method)
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1 if not mobile else 2,
                mobile=mobile,
            )
        except BaseException:
            self.close()
            raise

    def _port(self, timeout: float = 30.0) -> int:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.proc.returncode}")
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its DevTools port")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events met on the way are kept in ``events``."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait for an event (or find it among the events already received)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(msg)
            if msg.get("method") == method:
                return msg
        raise TimeoutError(f"no {method} event")

    def open(self, path: Path) -> None:
        """Navigate to a local file and wait until it has loaded."""
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP violations, failed loads)."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                out.append(str(params["entry"].get("text")))
        return out

    def screenshot(self, path: Path, *, full_page: bool = False) -> bytes:
        """Save a PNG of the viewport (or the whole page) and return its bytes."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        """Stop this browser by its PID and remove its profile."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- packaging: the source folders pyproject.toml maps into the wheel ---------------------------------


def assert_screenshot(path: Path, *, width: int, min_height: int) -> None:
    """A PNG a screenshot wrote: ``width`` px wide, at least ``min_height`` high, and not blank (many colours, and
    at least 3 % of its pixels differ from the most common one, the page's background)."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    assert rgb.width == width and rgb.height >= min_height, (path.name, rgb.size)
    colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    assert colours is not None
    background = max(colours)[0]
    assert len(colours) > 50 and 1 - background / (rgb.width * rgb.height) > 0.03, (path.name, len(colours), background)


def pyproject() -> dict:
    """pyproject.toml, parsed."""
    from gapgates import documents

    return documents.loads((ROOT / "pyproject.toml").read_text())


def package_dirs() -> dict[str, Path]:
    """Top-level package name -> source directory, from ``[tool.setuptools.package-dir]``."""
    return {name: ROOT / directory for name, directory in pyproject()["tool"]["setuptools"]["package-dir"].items()}


def source_files(directory: Path) -> list[Path]:
    """Every file under a source directory but caches and bytecode."""
    return [p for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


# --- processes a test starts (servers, workers): found by port, stopped by their PID -------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(proc: subprocess.Popen, *, grace: float = 30) -> None:
    """Stop a process a test started (it leads its own session) by its PID: TERM, then KILL after ``grace`` seconds."""
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Wait until a Prefect server started by a test answers ``/health``."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "prefect server exited early"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError("prefect server did not become healthy")


def stop_process_tree(proc: subprocess.Popen, *, grace: float = 30) -> None:
    """Stop a process a test started and every process it started (flow runs a worker spawned in their own
    sessions): the descendants are listed by PID first, then each is stopped by its PID (killed after ``grace``
    seconds, 20 at most)."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    stop_process(proc, grace=grace)
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(children, timeout=min(grace, 20))
    for child in alive:
        child.kill()


class PrefectServer:
    """A real ``prefect server start`` on 127.0.0.1 (its own PREFECT_HOME under ``home``), stopped by its PID.

    ``env`` is the environment for the clients, workers and flow runs a test starts against it; ``start``
    runs another process in that environment, stopped (with what it started) on exit. ``command`` is a line of the
    docs that starts the server (its port replaced by a free one; its ``VAR=value`` prefixes join ``env``).
    """

    def __init__(self, home: Path, *, timeout: float = 240, command: str | None = None, **settings: str) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        if command is not None:  # a docs' line, `[VAR=value ...] prefect server start --host 127.0.0.1 --port N`, on a free port
            shown = re.search(r"--port (\d+)", command)
            assert shown is not None and "--host 127.0.0.1" in command, command
            line = command.replace(shown.group(1), str(self.port))
            words = line.split()
            while "=" in words[0]:
                name, value = words.pop(0).split("=", 1)
                settings = {**settings, name: value}
            self.command = python_argv(" ".join(words))
        self.log = home / "server.log"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home / "prefect"),
            "PREFECT_API_URL": self.url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_CLI_PROMPT": "false",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            **settings,
        }
        self.timeout = timeout
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str, cwd: Path | None = None, log: Path | None = None) -> subprocess.Popen:
        """Start ``args`` in the server's environment, in its own session; stopped with the server."""
        with open(log if log is not None else os.devnull, "w") as out:  # the child keeps its own descriptor
            proc = subprocess.Popen(
                list(args), env=self.env, cwd=cwd or ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(proc)
        return proc

    def cli(self, *args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``prefect ARGS`` against this server and return it (raises on a non-zero exit)."""
        proc = subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            env=self.env,
            cwd=cwd or ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert proc.returncode == 0, f"prefect {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc

    def __enter__(self) -> PrefectServer:
        server = self.start(*self.command, log=self.log)
        try:
            wait_healthy(self.url, server, self.timeout)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        # clients and workers first, the server last. A worker's graceful stop (TERM, which Prefect turns into
        # SIGINT) takes 1-2 s, but in the full suite it sometimes never ends (2-3 modules a run, 30 s each until the
        # KILL): in a diagnostic run the worker sat idle in epoll_wait with no flow run left. Its stop is not what
        # these tests test, so what TERM has not stopped in 5 s is killed (the server keeps its 30 s).
        server, *started = self.procs  # __enter__ starts the server first
        for proc in reversed(started):
            stop_process_tree(proc, grace=5)
        stop_process_tree(server)


def wait_for(what: str, timeout: float, probe: Any, *, logs: list[Path], interval: float = 2.0) -> Any:
    """Call ``probe`` until it returns something truthy (returned); past ``timeout`` fail with the logs' tails."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}:\n{p.read_text()[-3000:]}" for p in logs if p.exists())
            raise AssertionError(f"{what} within {timeout:.0f} s\n{tails}")
        time.sleep(interval)


def deployment_named(client: Any, name: str) -> Any:
    """The deployment ``flow/deployment`` on the client's server, or None while it is not there."""
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        return None


def deployment_runs(client: Any, deployment_id: Any) -> list[Any]:
    """Every flow run of a deployment."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))


def deployed_project(root: Path, server: PrefectServer, toml: str, *, cron: str | None = None) -> Path:
    """The project's own ``deployments/prefect.yaml`` (cron replaced by ``cron`` when given) and a
    ``deployments/gapgates.toml`` of ``toml`` in ``root``, deployed to ``server`` on a process work pool
    (``gapgates-local``) with a worker started, by the commands the Prefect guide shows; returns ``root``. The deployment is
    ``retrain-and-gate/scheduled-retrain``."""
    text = (ROOT / "deployments" / "prefect.yaml").read_text()
    assert 'cron: "0 3 * * *"' in text, "the tests rewrite the shipped nightly cron"
    if cron is not None:
        text = text.replace('cron: "0 3 * * *"', f'cron: "{cron}"')
    (root / "deployments").mkdir(parents=True, exist_ok=True)
    (root / "deployments" / "prefect.yaml").write_text(text)
    (root / "deployments" / "gapgates.toml").write_text(toml)
    deployed = deploy_as_shown(root, server, log=root / "worker.log")
    assert "scheduled-retrain" in deployed, deployed
    return root


def deploy_as_shown(root: Path, server: PrefectServer, *, log: Path) -> str:
    """Run the Prefect guide's block in ``root`` against ``server``: create the process work pool, ``prefect deploy``
    the project's ``deployments/prefect.yaml``, start the worker (stopped with the server); returns deploy's output."""
    commands = doc_commands("guides/prefect.md", "prefect work-pool create")
    assert [c.split()[:3] for c in commands] == [["prefect", "work-pool", "create"], ["prefect", "deploy", "--prefect-file"],
                                                 ["prefect", "worker", "start"]], commands  # fmt: skip
    server.cli(*python_argv(commands[0])[3:], cwd=root)
    deployed = server.cli(*python_argv(commands[1])[3:], cwd=root).stdout
    server.start(*python_argv(commands[2]), cwd=root, log=log)
    return deployed


# --- capacity sweeps: a model whose test error shows double descent ------------------------------------


class MinNormLeastSquares(RegressorMixin, BaseEstimator):
    """Minimum-norm least squares on the first ``n_features`` columns (``numpy.linalg.pinv``).

    From ``n_features`` = training rows on it fits the training rows exactly; its test error peaks
    there and falls again as features grow: double descent.
    """

    def __init__(self, n_features: int = 1) -> None:
        self.n_features = n_features

    def fit(self, X: Any, y: Any) -> MinNormLeastSquares:
        self.coef_ = np.linalg.pinv(np.asarray(X, dtype=float)[:, : self.n_features]) @ np.asarray(y, dtype=float)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=float)[:, : self.n_features] @ self.coef_


def double_descent_data(n: int = 100, d: int = 300, *, noise: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """``n`` rows of ``d`` Gaussian features and a target ``y``: a dense linear signal plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])
    frame["y"] = X @ (rng.standard_normal(d) / np.sqrt(d)) + noise * rng.standard_normal(n)
    return frame
