"""One truth about a promotion, whatever happens to the process, and only over the production a run compared with.

* The kill harness (``tests/kills.py``): at least 30 SIGKILLs of ``gapgates check --promote`` at random instants
  (half of them in the commit phase); after each, production is the old version or the new one, the three report
  files are one run's and tell the truth, the history agrees with production and ``registry verify`` is clean. The
  webhook, sent after the switch, never announces a promotion that did not happen.
* MLflow: a promoter started while the lock beside a sqlite store is held is refused once the alias moved.
* The race: four ``check --promote`` runs on one registry with a real ``[champion] max_regression``, all compared
  with the same production, held at the registry's lock until all four are ready to switch: one switches, the three
  others find production moved and are refused (exit 1, ``production_moved`` in their reports, history and audit);
  run again, each is compared with the new production, and a candidate worse than it by more than the limit is
  blocked. No switch ever replaces a production its run did not compare with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gapgates.history import History
from gapgates.registry import LocalRegistry
from gapgates.registry.outcomes import settle_runs
from tests.helpers import ROOT, run_cli_process, webhook_url
from tests.hostile_world import LENIENT, table
from tests.kills import check_args

KILLS = 32


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_sigkill_at_random_instants_leaves_one_truth(tmp_path, webhook):
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.kills", str(tmp_path / "world"), str(KILLS), "2027", webhook_url(webhook)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    trials = [line for line in lines if "trial" in line]
    problems = [(t["trial"], p) for t in trials for p in t["problems"]]
    assert problems == [], problems
    killed = [t for t in trials if t["killed"]]
    assert len(killed) >= 30, f"{len(killed)} kills in {len(trials)} trials"
    assert all(t["code"] == 0 for t in trials if not t["killed"])  # a run nobody killed promoted: exit 0
    assert any(t["report"] == "pending" for t in killed)  # kills landed between publishing and recording...
    assert any(t["production"] != t["old"] for t in trials)  # ...and production did move in some trials
    world = tmp_path / "world"
    reg = LocalRegistry(world / "registry")
    assert reg.verify() == []
    # the webhook goes out after the switch: it never says pending, and a promotion it announces happened
    texts = [r["body"]["text"] for r in webhook.received]
    assert texts and not [t for t in texts if "pending" in t]
    announced = [t.split("Registered as ", 1)[1].split(";", 1)[0] for t in texts if "promoted to production" in t]
    assert announced and all(reg.switched(v) for v in announced)
    # the read commands settle what the kills left pending: the history and the digest agree with the registry
    history = run_cli_process("history", "--history", str(world / "history.sqlite"), "--json")
    assert history.returncode == 0, history.stderr
    shown = {r["version"]: r for r in json.loads(history.stdout) if r["version"]}
    assert {v for v, r in shown.items() if r["outcome"] == "promoted"} == {v for v in shown if reg.switched(v)}
    assert not [r for r in shown.values() if r["outcome"] == "pending"]  # the registry settled every one
    digest = run_cli_process(
        "digest", "--history", str(world / "history.sqlite"), "--registry", str(world / "registry"), "--out", str(tmp_path / "d")
    )
    assert digest.returncode == 0, digest.stderr
    production = json.loads((tmp_path / "d" / "digest.json").read_text())["models"][0]["production"]
    assert production["version"] == reg.production
    print(f"\n{len(killed)} SIGKILLs in {len(trials)} trials, {time.monotonic() - started:.0f} s: {lines[1]}")


def _race_world(root: Path) -> None:
    root.mkdir()
    table(n=300, seed=3).to_csv(root / "data.csv", index=False)
    champion = "max_regression = 0.01\nmax_gap_increase = 1.0"  # only the score decides between two models
    (root / "policy.toml").write_text(LENIENT.replace("max_regression = 1.0", champion))


#: The four challengers: every one clearly better than production (a constant), and different from each other by
#: more than max_regression.
CHALLENGERS = {
    "logreg": ["--model", "sklearn.linear_model.LogisticRegression"],
    "stump": ["--model", "sklearn.tree.DecisionTreeClassifier", "--param", "max_depth=1"],
    "tree2": ["--model", "sklearn.tree.DecisionTreeClassifier", "--param", "max_depth=2"],
    "shrunk": ["--model", "sklearn.linear_model.LogisticRegression", "--param", "C=0.003"],
}


def _check(out: str, *model: str) -> list[str]:
    """``python -m gapgates check --promote`` of one challenger, judged on a holdout too."""
    return [sys.executable, "-m", "gapgates", *check_args(list(model), name="clf", out=out, more=("--holdout-fraction", "0.3"))]


def _ready(root: Path, names: list[str]) -> bool:
    """Every run has published its report as pending: it waits for the registry's lock to switch."""
    for name in names:
        path = root / name / "report.json"
        try:
            if json.loads(path.read_text())["registry"]["outcome"] != "pending":
                return False
        except (OSError, ValueError, KeyError, TypeError):
            return False
    return True


def _audit_agrees_with_the_runs(root: Path, reg: LocalRegistry) -> None:
    """Every switch replaced the production its run compared its candidate with, within max_regression of it."""
    reports = {}
    for out in root.glob("*/report.json"):
        report = json.loads(out.read_text())
        reports[report["registry"]["version"]] = report
    for entry in reg.audit():
        if entry.action != "promote" or entry.version not in reports:
            continue
        report = reports[entry.version]
        assert entry.previous == report["champion"]["version"] == report["registry"]["previous"], (entry, report["champion"])
        regression = {c["name"]: c for c in report["checks"]}["champion_regression"]
        assert regression["status"] in {"pass", "skipped"} and (regression["value"] or 0.0) <= 0.01, regression


def test_four_racing_promoters_switch_only_over_the_production_they_compared_with(tmp_path):
    from filelock import FileLock

    root = tmp_path / "race"
    _race_world(root)
    env = _env()
    first = subprocess.run(
        _check("base", "--model", "sklearn.dummy.DummyClassifier"),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr
    reg = LocalRegistry(root / "registry")
    assert reg.production == "v1"
    names = list(CHALLENGERS)
    with FileLock(root / "registry" / ".lock"):  # the four compare with v1, publish, then wait here to switch
        procs = {
            name: subprocess.Popen(
                _check(name, *CHALLENGERS[name]),
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in names
        }
        deadline = time.monotonic() + 300
        while not _ready(root, names):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs.values()), {
                n: p.poll() for n, p in procs.items()
            }
            time.sleep(0.2)
    results = {name: proc.communicate(timeout=300) for name, proc in procs.items()}
    codes = {name: procs[name].returncode for name in names}
    assert sorted(codes.values()) == [0, 1, 1, 1], {n: (codes[n], results[n][1][-500:]) for n in names}
    [winner] = [n for n in names if codes[n] == 0]
    reports = {n: json.loads((root / n / "report.json").read_text()) for n in names}
    assert reg.production == reports[winner]["registry"]["version"]
    for name in names:
        report = reports[name]
        assert report["champion"]["version"] == "v1"  # all four compared with v1
        if name == winner:
            assert report["registry"]["outcome"] == "promoted" and report["registry"]["previous"] == "v1"
            continue
        assert report["decision"] == "block" and report["registry"]["outcome"] == "refused"
        assert report["checks"][0]["name"] == "production_moved" and report["checks"][0]["status"] == "fail"
        assert f"Production moved from v1 to {reg.production}" in report["reasons"][0]
        assert f"Production moved from v1 to {reg.production}" in (root / name / "report.md").read_text()
    rows = {r.version: r for r in History(root / "history.sqlite").runs() if r.version not in (None, "v1")}
    assert sorted((r.decision, r.outcome) for r in rows.values()) == [("block", "refused")] * 3 + [("promote", "promoted")]
    refusals = [e for e in reg.audit() if e.action == "block" and "Production moved" in " ".join(e.reasons)]
    assert sorted(e.version for e in refusals) == sorted(v for v, r in rows.items() if r.outcome == "refused")
    assert [e.previous for e in reg.audit() if e.action == "promote"] == [None, "v1"]
    _audit_agrees_with_the_runs(root, reg)

    # a refused one, run again: compared with the production it would replace this time
    for name in [n for n in names if n != winner][:1]:
        again = subprocess.run(
            _check(f"{name}-again", *CHALLENGERS[name]), cwd=root, env=env, capture_output=True, text=True, timeout=600
        )
        assert again.returncode in (0, 1), again.stderr
        report = json.loads((root / f"{name}-again" / "report.json").read_text())
        regression = {c["name"]: c for c in report["checks"]}["champion_regression"]
        assert report["champion"]["version"] == report["registry"]["previous"]
        assert (again.returncode == 0) == (regression["status"] == "pass"), regression  # worse than production: blocked
    production = reg.production
    dummy = _check("worse", "--model", "sklearn.dummy.DummyClassifier")  # the constant production started from
    worse = subprocess.run(dummy, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert worse.returncode == 1, worse.stderr
    regression = {c["name"]: c for c in json.loads((root / "worse" / "report.json").read_text())["checks"]}["champion_regression"]
    assert regression["status"] == "fail" and regression["value"] > 0.01 and reg.production == production
    _audit_agrees_with_the_runs(root, reg)
    assert reg.verify() == []
    assert all(r.promoted == reg.switched(str(r.version)) for r in settle_runs(History(root / "history.sqlite").runs()))
    print(f"\nrace: {winner} switched over v1, {sorted(set(names) - {winner})} refused; a constant blocked by {regression}")


def test_an_mlflow_alias_switches_only_over_the_version_compared_with(tmp_path):
    """MLflow has no compare-and-set on an alias: gapgates checks it under a lock beside a local store."""
    pytest.importorskip("mlflow")
    from filelock import FileLock
    from sklearn.dummy import DummyClassifier

    from gapgates.errors import ProductionMoved
    from gapgates.registry import open_registry
    from tests.helpers import sqlite_uri

    uri = sqlite_uri(tmp_path)
    reg = open_registry(f"mlflow:{uri}")
    model = DummyClassifier().fit([[0.0], [1.0]], [0, 1])
    v1, v2, v3 = (reg.register(model, name="clf", metadata={"decision": "promote"}) for _ in range(3))
    reg.promote(v1, expected=None)
    code = (
        "import sys; from sklearn.dummy import DummyClassifier; from gapgates.registry import open_registry; "
        f"r = open_registry('mlflow:{uri}', model_name='clf'); r.promote('{v2}', expected='{v1}'); print(r.production)"
    )
    with FileLock(tmp_path / "mlflow.db.gapgates.lock"):  # another promoter holds the store's lock
        other = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        assert other.poll() is None  # still at its start or at the lock: it cannot switch while the lock is held
        reg.client.set_registered_model_alias("clf", "champion", v3)  # production moves (v3) meanwhile
    other.communicate(timeout=300)
    assert other.returncode != 0 and reg.production == v3  # its v2 was compared with v1: refused
    with pytest.raises(ProductionMoved):
        reg.promote(v2, expected=v1)
