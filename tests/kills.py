"""SIGKILL ``gapgates check --promote`` at random instants; after each kill, everything must tell one truth.

Run as ``python -m tests.kills ROOT KILLS SEED [WEBHOOK_URL]`` (tests/e2e/test_kills.py does). The driver imports
gapgates once, then forks one child per trial that runs ``gapgates check --promote`` in-process on a small table
(120 rows, 3 folds, a local registry, a history, a report directory, a webhook), and SIGKILLs it at a random
instant: half anywhere in a run, half in its commit phase (a random delay after its version appears in the
registry: the candidate being registered, the reports and the history row written pending, the production switch,
the outcome recorded; the calibration runs measure how long that phase lasts).
After each kill (or completed run) it checks, and prints one JSON line per trial:

* production is the version before the trial or the one the trial registered, and ``registry verify`` is clean;
* ``report.json``, ``report.md`` and ``report.html`` are the files of one run (``report.md`` is exactly what
  ``report.json`` renders to, and ``report.html`` carries the same run and the same registry sentence), and they tell
  the truth: ``promoted`` only for a version production was switched to, ``pending`` never promoted, a refused,
  withdrawn, registered or blocked one never switched; ``gapgates report --from`` settles a pending one as the
  registry says;
* every history row agrees with the registry once settled (promoted exactly when production was switched to its
  version), and the noise reference (the last promoted run) is a run whose version went live.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from markupsafe import escape

from gapgates.cli.main import cli
from gapgates.compute.noise_reference import from_history
from gapgates.history import History
from gapgates.registry import LocalRegistry
from gapgates.registry.outcomes import settle_runs
from gapgates.report.build import rerender
from gapgates.report.html import registry_outcome
from gapgates.report.markdown import render_markdown
from tests.hostile_world import LENIENT, table


def check_args(
    model: list[str], *, name: str, out: str, registry: str = "registry", history: str = "history.sqlite", more: tuple = ()
) -> list[str]:
    """``gapgates check --promote`` on the world's table and policy (3 folds, one worker), paths relative to it."""
    return [
        "check",
        "--data",
        "data.csv",
        "--target",
        "y",
        *model,
        "--name",
        name,
        "--policy",
        "policy.toml",
        "--folds",
        "3",
        "--n-jobs",
        "1",
        *more,
        "--registry",
        registry,
        "--promote",
        "--out",
        out,
        "--history",
        history,
    ]


ARGV = check_args(["--model", "sklearn.linear_model.LogisticRegression"], name="tiny", out="out")


def make_world(root: Path, webhook: str | None) -> None:
    """The table and a lenient policy (every run promotes), with a webhook told of every outcome."""
    root.mkdir(parents=True, exist_ok=True)
    table().to_csv(root / "data.csv", index=False)
    notify = f'\n[notify]\nwebhook_url = "{webhook}"\non = ["promote", "block", "needs_approval"]\ntimeout = 5\n'
    (root / "policy.toml").write_text(LENIENT + (notify if webhook else ""))


def start(root: Path) -> int:
    """Fork a child that runs ``gapgates check --promote`` in ``root`` and exits with its code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 3
        try:
            os.chdir(root)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = cli.main(ARGV, standalone_mode=False)
        finally:
            os._exit(code if isinstance(code, int) else 3)
    return pid


def versions(root: Path) -> set[str]:
    folder = root / "registry" / "versions"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def calibrate(root: Path) -> tuple[float, float]:
    """One run to the end, watched: seconds until its version appears (staging starts) and until it exits."""
    before = versions(root)
    started = time.monotonic()
    staged = None
    pid = start(root)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if staged is None and versions(root) - before:
            staged = time.monotonic() - started
        if done:
            break
        time.sleep(0.002)
    total = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the calibration run exited {os.waitstatus_to_exitcode(status)}")
    return staged or total, total


def _created(text: str) -> str | None:
    import re

    found = re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^\s<`]*", text)  # not the blank line after report.md's
    return None if found is None else found.group(0)


def check_reports(root: Path, reg: LocalRegistry) -> tuple[list[str], str | None]:
    """Problems with the report files, and the outcome their JSON states (None without one)."""
    out = root / "out"
    problems = []
    paths = {kind: out / f"report.{kind}" for kind in ("json", "md", "html")}
    texts = {kind: path.read_text() for kind, path in paths.items() if path.is_file()}
    if "json" not in texts:  # a set being written is incomplete without its JSON: what is there is one run's
        runs = {_created(t) for t in texts.values()}
        if len(runs) > 1:
            problems.append(f"report.md and report.html of different runs without report.json: {runs}")
        return problems, None
    report = json.loads(texts["json"])
    if set(texts) != {"json", "md", "html"}:
        problems.append(f"report.json without its set: {sorted(texts)}")
    if texts.get("md") is not None and texts["md"] != render_markdown(report):
        problems.append("report.md is not what report.json renders to")
    section = report.get("registry") or {}
    sentence = str(escape(registry_outcome(section))) if section else None  # as the page's template escapes it
    page = texts.get("html", "")
    if _created(page) != report["created"] or (sentence is not None and sentence not in page):
        problems.append("report.html is not the run report.json describes")
    version, outcome = section.get("version"), section.get("outcome")
    switched = version is not None and reg.switched(version)
    if section.get("promoted") and not switched:
        problems.append(f"the reports say {version} was promoted; production was never switched to it")
    if outcome in {"pending", "refused", "withdrawn", "registered", "blocked"} and section.get("promoted"):
        problems.append(f"the reports say {outcome} and promoted")
    if outcome in {"refused", "withdrawn", "registered", "blocked"} and switched:
        problems.append(f"the reports say {outcome}; production was switched to {version}")
    if outcome == "pending":  # what `gapgates report --from` renders is what the registry says
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "out"
            shutil.copytree(out, copy)
            rerender(copy)
            settled = (copy / "report.md").read_text()
        said = "promoted to production" in settled
        if said != switched:
            problems.append(f"report --from on a pending report says promoted={said}; switched={switched}")
    return problems, outcome


def check_history(root: Path, reg: LocalRegistry) -> tuple[list[str], list[str | None]]:
    """Problems with the history, and each row's recorded outcome."""
    path = root / "history.sqlite"
    rows = History(path).runs() if path.is_file() else []
    problems = []
    for row in settle_runs(rows):
        if row.version is None:
            continue
        if row.promoted != reg.switched(row.version):
            problems.append(f"history row {row.id} ({row.version}, {row.outcome}): promoted={row.promoted}")
    reference = from_history(rows, model="tiny")
    if reference.rate is not None:
        live = [r for r in settle_runs(rows) if r.time == reference.version and r.version is not None]
        if not live or not reg.switched(str(live[-1].version)):
            problems.append(f"the noise reference is a run that never went live: {reference.version}")
    return problems, [r.outcome for r in rows]


def trial(root: Path, number: int, *, delay: float, after_staging: bool) -> dict[str, Any]:
    """One run, SIGKILLed ``delay`` seconds after it started (or, ``after_staging``, after its version appeared)."""
    reg = LocalRegistry(root / "registry")
    old, before = reg.production, versions(root)
    started = time.monotonic()
    staged = None
    pid = start(root)
    while True:  # until the child ends by itself, or the instant comes to kill it
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        now = time.monotonic()
        if staged is None and versions(root) - before:
            staged = now
        origin = staged if after_staging else started
        if origin is not None and now - origin >= delay:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.002)
    seconds = time.monotonic() - started
    killed = os.WIFSIGNALED(status)
    new = sorted(versions(root) - before)
    reg = LocalRegistry(root / "registry")
    production = reg.production
    problems = []
    if production not in {old, *new}:
        problems.append(f"production {production}: neither the old {old} nor the trial's {new}")
    problems += reg.verify()
    report_problems, outcome = check_reports(root, reg)
    history_problems, rows = check_history(root, reg)
    return {
        "trial": number,
        "delay": round(delay, 4),
        "seconds": round(seconds, 4),
        "killed": killed,
        "code": None if killed else os.waitstatus_to_exitcode(status),
        "old": old,
        "new": new,
        "production": production,
        "report": outcome,
        "row": rows[-1] if rows else None,
        "problems": problems + report_problems + history_problems,
    }


WARM = (
    "import sys; from gapgates.cli.main import cli; cli.main(sys.argv[1:], standalone_mode=False); print(' '.join(sys.modules))"
)


def warm(root: Path) -> int:
    """Import here, once, every module a run imports (a run in a subprocess lists them): each forked child then
    spends its time on the run itself, not on imports (Great Expectations, matplotlib, cleanlab: seconds each).
    Importing starts no thread, so forking stays safe; no model is fit in this process."""
    import importlib
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    argv = check_args(ARGV[5:7], name="tiny", out="warm/out", registry="warm/registry", history="warm/history.sqlite")
    listed = subprocess.run([sys.executable, "-c", WARM, *argv], cwd=root, capture_output=True, text=True, env=env, check=True)
    names = listed.stdout.strip().splitlines()[-1].split()
    imported = 0
    for name in names:
        if name.startswith(("__main__", "gapgates.flows", "prefect", "mlflow")) or name in sys.modules:
            continue
        try:
            importlib.import_module(name)
            imported += 1
        except Exception:  # a module that imports only as a side effect of another: its parent brings it
            continue
    shutil.rmtree(root / "warm", ignore_errors=True)
    return imported


def main(argv: list[str]) -> None:
    """``ROOT KILLS SEED [WEBHOOK_URL]``: trials until KILLS of them were killed (at most twice as many trials)."""
    root, kills, seed = Path(argv[0]), int(argv[1]), int(argv[2])
    make_world(root, argv[3] if len(argv) > 3 else None)
    rng = random.Random(seed)
    print(json.dumps({"warmed": warm(root)}), flush=True)
    runs = [calibrate(root) for _ in range(2)]  # v1 goes live in the first
    print(json.dumps({"calibration": runs}), flush=True)
    durations = [t for _, t in runs]
    commit = max(t - s for s, t in runs)  # from the version's appearance to the end: stage, publish, switch, record
    killed = number = 0
    while killed < kills and number < 2 * kills:
        span = statistics.median(durations[-5:])  # runs get faster as the file cache warms: follow them
        after_staging = number % 2 == 1  # half anywhere in a run, half in its commit phase
        delay = rng.uniform(0, 1.1 * commit) if after_staging else rng.uniform(0, span)
        result = trial(root, number, delay=delay, after_staging=after_staging)
        if result["killed"]:
            killed += 1
        else:
            durations.append(result["seconds"])
        print(json.dumps(result), flush=True)
        number += 1


if __name__ == "__main__":
    main(sys.argv[1:])
