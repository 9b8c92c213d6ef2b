"""Issue 17's acceptance scenario from the command line: promote a model, then monitor it on fresh rows.

Fresh rows from the training distribution: exit 0, ``ok``. Covariate-shifted fresh rows on which the
model's accuracy drops: exit 1, ``retrain``, naming the drifted columns. The monitors run as subprocesses.
"""

from __future__ import annotations

import json

from gapgates.history import History
from gapgates.report.schema import validate_monitor
from tests.helpers import monitor_data, promoted_for_monitoring, run_cli_process


def test_monitor_says_ok_on_the_same_distribution_and_retrain_under_covariate_shift(tmp_path):
    registry, policy = promoted_for_monitoring(tmp_path)  # gapgates check --promote, in-process
    history = tmp_path / "history.sqlite"
    promoted = json.loads((tmp_path / "gate" / "report.json").read_text())["gap"]["accuracy"]["test_mean"]

    runs = {}
    for name, shift, seed in (("same", 0.0, 1), ("shifted", 2.5, 2)):
        fresh = tmp_path / f"{name}.csv"
        monitor_data(400, shift=shift, seed=seed).to_csv(fresh, index=False)
        proc = run_cli_process(
            "monitor",
            "--registry",
            str(registry),
            "--model-name",
            "clf",
            "--data",
            str(fresh),
            "--target",
            "label",
            "--policy",
            str(policy),
            "--out",
            str(tmp_path / name),
            "--history",
            str(history),
        )
        report = json.loads((tmp_path / name / "report.json").read_text())
        validate_monitor(report)
        runs[name] = (proc, report)
        print(proc.stdout)

    proc, report = runs["same"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report["decision"] == "ok" and report["reasons"] == [] and proc.stdout.startswith("MONITOR  clf v1")
    assert "OK" in proc.stdout.splitlines()[0]
    accuracy = report["gap"]["accuracy"]
    assert accuracy["promoted_test"] == round(promoted, 6) and accuracy["interval"] == "wilson"
    assert accuracy["gap_ci_low"] < 0.05 and report["drift"]["drifted"] == [] and report["drift"]["auc"] < 0.65

    proc, report = runs["shifted"]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert report["decision"] == "retrain" and "RETRAIN" in proc.stdout.splitlines()[0]
    accuracy = report["gap"]["accuracy"]
    assert accuracy["fresh"] < promoted - 0.15 and accuracy["gap_ci_low"] > 0.05  # the drop is beyond its interval
    assert report["drift"]["drifted"][0] == "x0" and "x2" not in report["drift"]["drifted"]
    assert report["drift"]["auc"] > 0.9
    failed = {c["name"] for c in report["checks"] if c["status"] == "fail"}
    assert failed == {"production_gap:accuracy", "drift_auc"}
    assert "drifted columns: x0" in proc.stdout and "x0" in (tmp_path / "shifted" / "report.html").read_text()

    rows = History(history).runs(kind="monitor")
    assert [(r.kind, r.decision, r.version, r.model) for r in rows] == [
        ("monitor", "ok", "v1", "clf"),
        ("monitor", "retrain", "v1", "clf"),
    ]
    assert rows[1].gaps["accuracy"].gap == accuracy["gap_mean"]
    assert (rows[1].gaps["accuracy"].ci_low, rows[1].gaps["accuracy"].ci_high) == (
        accuracy["gap_ci_low"],
        accuracy["gap_ci_high"],
    )
    assert History(history).runs(kind="gate") == []
