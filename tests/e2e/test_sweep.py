"""gapgates sweep as a user runs it: a blocked tree, the sweep's recommendation, and that recommendation re-checked."""

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
    policy.write_text('[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "upper"\n'
                      "[performance]\nmin_gain_over_baseline = 0.0\n[noise]\nmax_rate = 1.0\n")
    common = ("--data", str(data), "--target", "label", "--model", TREE, "--policy", str(policy), "--n-jobs", "1")

    unbounded = run_cli("check", *common, "--out", str(tmp_path / "unbounded"))
    assert unbounded.returncode == 1, unbounded.stdout + unbounded.stderr  # blocked today

    swept = run_cli("sweep", *common, "--sweep", "max_depth=1..12", "--out", str(tmp_path / "sweep"))
    assert swept.returncode == 0, swept.stdout + swept.stderr
    found = re.findall(r"^  (--param max_depth=(\d+))$", swept.stdout, flags=re.M)
    assert len(found) == 1, swept.stdout
    line, depth = found[0]
    document = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert document["recommendation"]["value"] == int(depth)

    rechecked = run_cli("check", *common, *line.split(), "--out", str(tmp_path / "rechecked"))
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    report = json.loads((tmp_path / "rechecked" / "report.json").read_text())
    assert report["decision"] == "promote" and report["model"]["params"] == {"max_depth": int(depth)}
    assert report["gap"]["accuracy"]["test_mean"] == document["recommendation"]["test_mean"]
