"""`gapgates demo` as a real subprocess: the bundled demo runs, one candidate blocked and one promoted."""


def test_demo_runs(run_cli, tmp_path):
    proc = run_cli("demo", "--out", str(tmp_path / "demo"))
    assert proc.returncode == 0, proc.stderr
    assert "BLOCK" in proc.stdout and "PROMOTE" in proc.stdout
    # what the shipped deployments read: the promoted scaled-logreg, one history, the monitor's fresh rows
    assert "registry: Registered as v1; promoted to production. Production: v1." in proc.stdout
    assert {p.name for p in (tmp_path / "demo").iterdir()} >= {"registry", "history.sqlite", "fresh.csv", "breast_cancer.csv"}
