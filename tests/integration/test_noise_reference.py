"""``[noise] max_rate_increase`` end to end through ``gapgates check`` (in-process CLI): clean but hard data is
promoted against its own reference, the same data with 10% more flipped labels is blocked as noise (history and
registry references). Its "hard" rows are spread evenly inside each cluster, exactly as random flips are, so the
shipped first-run rule ``label_noise:confident`` names them noise; these runs raise its limit (a user's answer to
"these rows are hard, not wrong") to test the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from tests.helpers import hard_classification, invoke, sqlite_uri

MODEL = "sklearn.linear_model.LogisticRegression"


@pytest.fixture(autouse=True)
def _one_native_thread():
    with threadpool_limits(limits=1):
        yield


def _data(root: Path) -> tuple[Path, Path]:
    (root / "hard.toml").write_text("[noise]\nmax_confident_error_ratio = 1.5\n")
    hard, flipped = root / "hard.csv", root / "flipped.csv"
    hard_classification().to_csv(hard, index=False)
    hard_classification(flip=0.10).to_csv(flipped, index=False)
    return hard, flipped


def _check(data: Path, out: Path, *options: str) -> tuple[int, dict]:
    done = invoke("check", "--data", data, "--target", "label", "--model", MODEL, "--out", out, *options)
    assert done.exit_code in (0, 1), done.output
    return done.exit_code, json.loads((out / "report.json").read_text())


def _checks(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_hard_data_is_promoted_against_its_reference_and_more_flipped_labels_are_blocked(tmp_path):
    hard, flipped = _data(tmp_path)
    code, shipped = _check(hard, tmp_path / "0")  # shipped policy, first run: the even spread reads as flips
    assert _checks(shipped)["label_noise:confident"]["status"] == "fail"
    assert (code, shipped["diagnosis"]["label"]) == (1, "noise")

    history = ("--history", str(tmp_path / "history.sqlite"), "--policy", str(tmp_path / "hard.toml"))
    code, first = _check(hard, tmp_path / "1", *history)  # no reference yet
    assert first["noise"]["rate"] > 0.10  # the old default (max_rate = 0.05) blocked this clean data as noise
    increase = _checks(first)["label_noise:increase"]
    assert increase["status"] == "skipped" and "no promoted run" in increase["message"]
    assert _checks(first)["label_noise"]["status"] == "pass" and _checks(first)["label_noise"]["limit"] == 0.25
    assert _checks(first)["label_noise:confident"]["status"] == "pass"
    assert (code, first["decision"], first["diagnosis"]["label"]) == (0, "promote", "healthy")

    code, second = _check(hard, tmp_path / "2", *history)
    assert second["noise"]["reference"]["source"] == "history"
    assert second["noise"]["reference"]["rate"] == first["noise"]["rate"]
    assert _checks(second)["label_noise:increase"]["status"] == "pass"
    assert _checks(second)["label_noise:confident"]["status"] == "skipped"  # a reference: the increase judges
    assert (code, second["decision"], second["diagnosis"]["label"]) == (0, "promote", "healthy")

    code, third = _check(flipped, tmp_path / "3", *history)
    breached = _checks(third)["label_noise:increase"]
    assert breached["status"] == "fail" and breached["value"] > 0.03
    assert breached["value"] == third["noise"]["rate"] - second["noise"]["rate"]
    assert (code, third["decision"], third["diagnosis"]["label"]) == (1, "block", "noise")
    assert third["diagnosis"]["mitigations"][0].startswith("Audit the labelling pipeline since the last promoted run")
    assert "Reference:" in (tmp_path / "3" / "report.html").read_text()
    assert "; reference 0.1" in (tmp_path / "3" / "report.md").read_text()


@pytest.mark.parametrize("kind", ["local", "mlflow"])
def test_the_registry_production_version_is_the_reference(tmp_path, kind):
    hard, flipped = _data(tmp_path)
    if kind == "mlflow":
        pytest.importorskip("mlflow", reason="needs the mlflow extra: pip install 'gapgates[mlflow]'")
    where = str(tmp_path / "reg") if kind == "local" else f"mlflow:{sqlite_uri(tmp_path)}"
    registry = ("--registry", where, "--promote", "--policy", str(tmp_path / "hard.toml"))

    code, first = _check(hard, tmp_path / "1", *registry)
    version = first["registry"]["production"]
    assert code == 0 and version is not None  # its noise rate is recorded with the version at registration
    assert "No production model" in _checks(first)["label_noise:increase"]["message"]

    code, second = _check(flipped, tmp_path / "2", *registry)
    assert second["noise"]["reference"] == {
        "rate": first["noise"]["rate"],
        "source": "registry",
        "version": version,
        "reason": None,
    }
    assert _checks(second)["label_noise:increase"]["status"] == "fail"
    assert (code, second["diagnosis"]["label"], second["registry"]["production"]) == (1, "noise", version)
    assert f"since production version {version}:" in second["diagnosis"]["mitigations"][0]

    code, retuned = _check(hard, tmp_path / "3", *registry, "--param", "C=0.05")  # another model measured v1's rate
    reference = retuned["noise"]["reference"]
    assert reference["rate"] is None
    assert "measured by another model (LogisticRegression(), this run's is LogisticRegression(C=0.05))" in reference["reason"]
    assert _checks(retuned)["label_noise:increase"]["status"] == "skipped"
    assert _checks(retuned)["label_noise:confident"]["status"] == "pass"  # the first-run rule judges it instead


def test_a_run_is_not_judged_by_a_rate_another_model_measured_in_the_history(tmp_path):
    """The history's reference: a logistic regression with C=0.5 promoted under a model name, then one with the default
    C under the same name on the same labels. A flagged share is the measuring model's, not only the labels': the
    increase rule does not compare them."""
    hard, _ = _data(tmp_path)
    history = ("--history", str(tmp_path / "history.sqlite"), "--policy", str(tmp_path / "hard.toml"), "--name", "churn")
    other = ("--model", MODEL, "--param", "C=0.5")
    done = invoke("check", "--data", hard, "--target", "label", *other, "--out", tmp_path / "1", *history)
    first = json.loads((tmp_path / "1" / "report.json").read_text())
    assert done.exit_code in (0, 1), done.output
    _, second = _check(hard, tmp_path / "2", *history)
    assert first["decision"] == "promote", first["reasons"]
    assert "another model (LogisticRegression(C=0.5)" in second["noise"]["reference"]["reason"]
    assert second["noise"]["reference"]["rate"] is None
    assert _checks(second)["label_noise:increase"]["status"] == "skipped"
    assert _checks(second)["label_noise:confident"]["status"] == "pass"
    _, third = _check(hard, tmp_path / "3", *history)  # the same model again: compared with its own promoted run
    assert second["decision"] == "promote", second["reasons"]
    assert third["noise"]["reference"]["rate"] == second["noise"]["rate"]
    assert _checks(third)["label_noise:increase"]["status"] == "pass"
