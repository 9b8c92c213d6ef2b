"""``gapgates monitor`` without labels (issue 31): a version promoted by the CLI stores its out-of-fold outputs, the
monitor estimates its score on unlabelled rows (CBPE, DLE), decides from the estimate, and the labelled run of the
same batch records estimate vs actual in the history and the digest. Real sklearn models, real registries."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from gapgates.compute.estimate import REFERENCE_FILE
from gapgates.registry import LocalRegistry
from tests.helpers import boundary_data, invoke

pytestmark = pytest.mark.usefixtures("one_native_thread")


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    """A logistic regression ``clf`` promoted by ``gapgates check --promote`` on 1,500 rows; its registry and policy."""
    root = tmp_path_factory.mktemp("estimate")
    train, policy = root / "train.csv", root / "policy.toml"
    boundary_data(1500).to_csv(train, index=False)
    policy.write_text("[gap]\nmax_gap = 0.1\n[noise]\nmax_rate = 0.3\nmax_confident_error_ratio = 100\n")
    result = invoke(
        "check", "--data", train, "--target", "label", "--model", "sklearn.linear_model.LogisticRegression",
        "--name", "clf", "--registry", root / "registry", "--promote", "--policy", policy, "--out", root / "gate",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root, root / "registry", policy


def _monitor(registry, data, *extra):
    return invoke("monitor", "--registry", registry, "--model-name", "clf", "--data", data, *extra)


def _batch(root, name: str, *, spread: float, seed: int, labels: bool) -> object:
    path = root / f"{name}{'' if labels else '-unlabelled'}.csv"
    table = boundary_data(1000, spread=spread, seed=seed)
    (table if labels else table.drop(columns=["label"])).to_csv(path, index=False)
    return path


def test_a_promoted_version_stores_its_out_of_fold_predictions_with_their_checksum(promoted):
    from gapgates.registry.files import sha256_bytes

    _, registry, _ = promoted
    info = LocalRegistry(registry).info("v1")
    entry = info.metadata["estimate_reference"]
    stored = LocalRegistry(registry).document("v1", REFERENCE_FILE)
    assert entry["file"] == REFERENCE_FILE and entry["task"] == "classification" and entry["rows"] == 1500
    assert stored is not None and sha256_bytes(stored) == entry["sha256"]
    assert stored.decode().splitlines()[0] == "x0,x1,gapgates.label,proba.0,proba.1" and json.loads(entry["classes"]) == [0, 1]


def test_unlabelled_rows_like_the_training_rows_are_estimated_ok_close_to_their_accuracy(promoted):
    from gapgates.report.schema import validate_monitor

    root, registry, policy = promoted
    data = _batch(root, "calm", spread=2.0, seed=11, labels=False)
    result = _monitor(registry, data, "--policy", policy, "--out", root / "calm-out", "--history", root / "h1.sqlite")
    assert result.exit_code == 0, result.output
    assert "WITHOUT LABELS: OK" in result.output and "ESTIMATED" in result.output and "concept shift" in result.output
    report = json.loads((root / "calm-out" / "report.json").read_text())
    validate_monitor(report)
    assert report["labels"] is False and report["gap"] == {} and report["primary_metric"] == "accuracy"
    assert report["estimate"]["method"] == "cbpe" and report["batch"]["source"] == "features"
    assert report["estimate"]["features"] == ["x0", "x1"]  # the correctness model read the stored features
    assert "a correctness model on its 2 features" in (root / "calm-out" / "report.md").read_text()
    labelled = _monitor(registry, _batch(root, "calm", spread=2.0, seed=11, labels=True), "--policy", policy, "--out", root / "c")
    assert labelled.exit_code == 0, labelled.output
    estimated = report["estimate"]["scores"]["accuracy"]
    actual = json.loads((root / "c" / "report.json").read_text())["gap"]["accuracy"]["fresh"]
    assert estimated["estimated"] == pytest.approx(actual, abs=0.03)
    assert estimated["estimated_ci_low"] <= actual <= estimated["estimated_ci_high"]
    assert "Estimated production gap (no labels)" in (root / "calm-out" / "report.md").read_text()


def test_a_small_batch_like_the_training_rows_stays_ok_by_default_where_the_upper_bound_retrains_on_noise(promoted):
    """100 unlabelled rows from the training distribution: no column drifts, so the default (``auto``) judges the
    mean estimated gap (ok); always judging the upper bound of the realised score's interval retrains on the small
    batch's sampling noise alone."""
    root, registry, policy = promoted
    data = _batch(root, "small", spread=2.0, seed=21, labels=False)
    pd.read_csv(data).head(100).to_csv(data, index=False)
    default = _monitor(registry, data, "--policy", policy, "--out", root / "small-auto")
    assert default.exit_code == 0, default.output
    report = json.loads((root / "small-auto" / "report.json").read_text())
    assert report["drift"]["drifted"] == [] and report["decision"] == "ok"
    (gap,) = [c for c in report["checks"] if c["name"] == "estimated_gap:accuracy"]
    scores = report["estimate"]["scores"]["accuracy"]
    assert gap["value"] == pytest.approx(scores["gap_mean"], abs=1e-4) and "bound" not in gap["message"]
    upper = root / "upper.toml"
    upper.write_text(policy.read_text() + '[monitor]\nestimate_gate_on = "upper"\n')
    noisy = _monitor(registry, data, "--policy", upper, "--out", root / "small-upper")
    assert noisy.exit_code == 1, noisy.output
    (gap,) = [c for c in json.loads((root / "small-upper" / "report.json").read_text())["checks"] if c["name"] == gap["name"]]
    assert gap["value"] == pytest.approx(scores["gap_ci_high"], abs=1e-4) and gap["value"] > 0.05 > scores["gap_mean"]


def test_a_shifted_unlabelled_batch_retrains_from_the_estimate_and_its_labels_later_check_it(promoted):
    """The estimate alone decides retrain (exit 1); the labelled run of the same rows (matched by their ids) records
    estimate vs actual; the history holds both runs and the digest shows both lines and the estimate's accuracy."""
    root, registry, policy = promoted
    history = root / "loop.sqlite"
    unlabelled = _batch(root, "shifted", spread=0.35, seed=12, labels=False)
    ids = pd.read_csv(unlabelled).assign(row_id=lambda t: [f"r{i}" for i in range(len(t))])
    ids.to_csv(unlabelled, index=False)
    only_estimate = "[monitor]\nmax_drift_auc = 1.0\nmax_drifted_share = 1.0\nmax_support_auc = 1.0\n"
    strict = root / "only-estimate.toml"
    strict.write_text(policy.read_text() + only_estimate)
    result = _monitor(
        registry, unlabelled, "--policy", strict, "--history", history, "--id-column", "row_id", "--out", root / "s"
    )
    assert result.exit_code == 1, result.output
    report = json.loads((root / "s" / "report.json").read_text())
    failed = [c["name"] for c in report["checks"] if c["status"] == "fail"]
    assert report["decision"] == "retrain" and failed == ["estimated_gap:accuracy"]
    (gap,) = [c for c in report["checks"] if c["name"] == "estimated_gap:accuracy"]  # drifted rows: the upper bound
    assert "upper bound of its 95% interval: the fresh rows drifted in x" in gap["message"]
    assert gap["value"] == pytest.approx(report["estimate"]["scores"]["accuracy"]["gap_ci_high"], abs=1e-4)
    assert report["batch"]["source"] == "ids"

    labelled = _batch(root, "shifted", spread=0.35, seed=12, labels=True)
    shuffled = pd.read_csv(labelled).assign(row_id=[f"r{i}" for i in range(1000)]).sample(frac=1.0, random_state=0)
    shuffled.to_csv(labelled, index=False)  # the labels come back in another order: the ids still match the batch
    later = _monitor(registry, labelled, "--policy", strict, "--history", history, "--id-column", "row_id", "--out", root / "l")
    assert later.exit_code == 1 and "labels for a batch estimated earlier" in later.output, later.output
    check = json.loads((root / "l" / "report.json").read_text())["estimate_check"]
    pair = check["metrics"]["accuracy"]
    assert pair["actual_gap"] > 0.05 and pair["estimated_gap"] > 0.05 and abs(pair["error"]) <= 0.05

    from gapgates.history import History

    runs = History(history).runs(model="clf")
    assert [(r.kind, r.decision) for r in runs] == [("estimate", "retrain"), ("monitor", "retrain")]
    assert runs[0].batch == runs[1].batch is not None
    digest = invoke("digest", "--history", history, "--registry", registry, "--out", root / "digest")
    assert digest.exit_code == 0, digest.output
    document = json.loads((root / "digest" / "digest.json").read_text())
    (model,) = document["models"]
    assert model["estimated_gap"]["decision"] == "retrain" and model["production_gap"]["decision"] == "retrain"
    assert model["estimate_accuracy"]["pairs"] == 1 and model["estimate_runs"] == 1
    assert "past estimates vs labels: 1 batch" in digest.output
    assert "Estimated production gap (without labels)" in (root / "digest" / "digest.html").read_text()


def test_no_labels_ignores_a_target_column_and_labels_requires_one(promoted, tmp_path):
    root, registry, policy = promoted
    with_labels = _batch(root, "calm2", spread=2.0, seed=13, labels=True)
    result = _monitor(registry, with_labels, "--no-labels", "--policy", policy, "--out", tmp_path / "o")
    assert result.exit_code == 0 and "WITHOUT LABELS" in result.output, result.output
    without = _batch(root, "calm2", spread=2.0, seed=13, labels=False)
    refused = _monitor(registry, without, "--labels")
    assert refused.exit_code == 2 and "The target column 'label' is not in the data" in refused.output


def test_a_tampered_or_missing_reference_is_refused_with_exit_2(promoted, tmp_path):
    root, registry, _ = promoted
    data = _batch(root, "calm3", spread=2.0, seed=14, labels=False)
    copy = tmp_path / "copy"
    shutil.copytree(registry, copy)
    stored = copy / "versions" / "v1" / REFERENCE_FILE
    stored.write_text(stored.read_text().replace("0.", "0.9", 1))
    result = _monitor(copy, data)
    assert result.exit_code == 2 and "does not match its recorded sha256" in result.output, result.output
    stored.unlink()
    result = _monitor(copy, data)
    assert result.exit_code == 2 and "stores no out-of-fold predictions" in result.output, result.output


def test_a_regressor_on_a_real_table_is_estimated_by_dle(tmp_path):
    """scikit-learn diabetes, a ridge regression promoted by the CLI: the unlabelled half is estimated by the loss
    model, within 20 % of the MAE its labels give."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    train, fresh = frame.iloc[::2], frame.iloc[1::2]
    train.to_csv(tmp_path / "train.csv", index=False)
    fresh.drop(columns=["target"]).to_csv(tmp_path / "fresh.csv", index=False)
    fresh.to_csv(tmp_path / "labelled.csv", index=False)
    policy = tmp_path / "policy.toml"
    policy.write_text("[gap]\nmax_gap = 0.5\n[monitor]\nmin_rows = 30\n")
    gate = invoke(
        "check", "--data", tmp_path / "train.csv", "--target", "target", "--model", "sklearn.linear_model.Ridge",
        "--name", "clf", "--registry", tmp_path / "registry", "--promote", "--policy", policy,
    )  # fmt: skip
    assert gate.exit_code == 0, gate.output
    result = _monitor(tmp_path / "registry", tmp_path / "fresh.csv", "--policy", policy, "--out", tmp_path / "o")
    assert result.exit_code in (0, 1), result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["estimate"]["method"] == "dle" and report["primary_metric"] == "neg_mean_absolute_error"
    estimated = -report["estimate"]["scores"]["neg_mean_absolute_error"]["estimated"]
    from sklearn.metrics import mean_absolute_error

    model = LocalRegistry(tmp_path / "registry").load("v1")
    actual = mean_absolute_error(fresh["target"], model.predict(fresh.drop(columns=["target"])))
    assert estimated == pytest.approx(actual, rel=0.2)


def test_an_mlflow_version_stores_its_reference_and_is_estimated_without_labels(tmp_path):
    """The same on a real local MLflow store: the reference is logged with the version's run, its metadata survives
    the tags (classes as JSON), and a label-free run reads it back."""
    pytest.importorskip("mlflow", reason="needs the mlflow extra: pip install 'gapgates[mlflow]'")
    from gapgates.enforcement import enforce
    from gapgates.registry import open_registry
    from tests.helpers import PERMISSIVE, gate_run, sqlite_uri

    train, fresh = tmp_path / "train.csv", tmp_path / "fresh.csv"
    boundary_data(600).to_csv(train, index=False)
    boundary_data(300, spread=0.35, seed=3).drop(columns=["label"]).to_csv(fresh, index=False)
    location = f"mlflow:{sqlite_uri(tmp_path)}"
    registry = open_registry(location, model_name="LogisticRegression")
    done = enforce(gate_run(train, tmp_path / "scratch", PERMISSIVE), registry, promote=True)
    entry = registry.info(done.version).metadata["estimate_reference"]
    assert (entry["rows"], entry["task"], json.loads(entry["classes"])) == (600, "classification", [0, 1])
    result = invoke(
        "monitor", "--registry", location, "--model-name", "LogisticRegression", "--data", fresh, "--out", tmp_path / "o"
    )
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["labels"] is False and report["estimate"]["reference_rows"] == 600
    assert "estimated_gap:accuracy" in [c["name"] for c in report["checks"] if c["status"] == "fail"]
