"""gapgates sweep and check --recommend as a user runs them: a blocked tree, the recommendation, and that
recommendation re-checked in its own process (verified, not trusted)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers import noisy_classification

TREE = "sklearn.tree.DecisionTreeClassifier"


def test_the_recommended_max_depth_passes_its_own_check_under_the_same_policy(run_cli, tmp_path: Path):
    data = tmp_path / "noisy.csv"
    noisy_classification(600, flip=0.1).to_csv(data, index=False)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "upper"\n'
        "[performance]\nmin_gain_over_baseline = 0.0\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n"
    )
    common = ("--data", str(data), "--target", "label", "--model", TREE, "--policy", str(policy), "--n-jobs", "1")

    unbounded = run_cli("check", *common, "--out", str(tmp_path / "unbounded"), "--recommend")
    assert unbounded.returncode == 1, unbounded.stdout + unbounded.stderr  # blocked today, with a recommendation
    found = re.findall(r"^  (--param max_depth=(\d+))$", unbounded.stdout, flags=re.M)
    assert len(found) == 1, unbounded.stdout
    line, depth = found[0]
    blocked = json.loads((tmp_path / "unbounded" / "report.json").read_text())
    assert blocked["decision"] == "block" and blocked["diagnosis"]["label"] == "overfit"
    assert blocked["recommendation"]["param_line"] == line
    assert line in blocked["diagnosis"]["mitigations"][0]

    swept = run_cli("sweep", *common, "--sweep", "max_depth=1..12", "--out", str(tmp_path / "sweep"))
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert f"\n  {line}\n" in swept.stdout  # the sweep command recommends the same
    document = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert document["recommendation"]["value"] == int(depth)

    rechecked = run_cli("check", *common, *line.split(), "--out", str(tmp_path / "rechecked"))
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    report = json.loads((tmp_path / "rechecked" / "report.json").read_text())
    assert report["decision"] == "promote" and report["model"]["params"] == {"max_depth": int(depth)}
    assert report["gap"]["accuracy"]["test_mean"] == document["recommendation"]["test_mean"]
