"""The CLI as a real subprocess against a real local MLflow store (sqlite backend in ``tmp_path``, no server)."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from gapgates.registry import open_registry
from tests.helpers import META, X, Y, sqlite_uri


def test_mlflow_registry_cli(tmp_path, run_cli):
    pytest.importorskip("mlflow")
    reg = open_registry(f"mlflow:{sqlite_uri(tmp_path)}")
    reg.promote(reg.register(LogisticRegression().fit(X, Y), name="clf", metadata=META))
    proc = run_cli("registry", "show", "--registry", f"mlflow:{sqlite_uri(tmp_path)}", "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    shown = json.loads(proc.stdout)
    assert shown["production"] == "1" and [v["version"] for v in shown["versions"]] == ["1"]


def test_check_registers_and_promotes_into_an_mlflow_store(tmp_path, run_cli, cancer_csv):
    """``check --registry mlflow:URI``: the URI is not mangled as a path, the run's model is used in a
    store holding another one, the champion is read back on the next run, history goes beside --out."""
    pytest.importorskip("mlflow")
    import json

    from gapgates.demo import DEMO_POLICY_PATH

    uri = f"mlflow:{sqlite_uri(tmp_path)}"
    open_registry(uri).register(LogisticRegression().fit(X, Y), name="other", metadata=META)
    args = [
        "check",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        "gapgates.demo.scaled_logistic_regression",
        "--policy",
        str(DEMO_POLICY_PATH),
        "--name",
        "logreg",
        "--registry",
        uri,
        "--promote",
        "--out",
        str(tmp_path / "out"),
    ]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    section = report["registry"]
    assert (section["version"], section["promoted"], section["production"], section["outcome"]) == ("1", True, "1", "promoted")
    assert section["location"] == uri and section["alias"] == "champion"  # where a reader settles a pending run
    assert report["champion"]["version"] is None  # no production model of 'logreg' yet ('other' is not it)
    assert "first candidate" in report["champion"]["reason"]

    second = run_cli(*args)
    assert second.returncode in (0, 1), second.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["registry"]["version"] == "2"
    assert report["champion"]["version"] == "1" and report["champion"]["test_mean"] > 0.9  # read back and scored
    logreg = open_registry(uri, model_name="logreg")
    assert [v.version for v in logreg.versions()] == ["1", "2"]
    assert open_registry(uri, model_name="other").production is None  # the other model is untouched
    assert (tmp_path / "history.sqlite").is_file()
