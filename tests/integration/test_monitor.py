"""``gapgates monitor`` on bad input: exit 2 and one line, before any scoring; and what a version stores for it."""

from __future__ import annotations

import json

import pytest

from gapgates.registry import LocalRegistry
from gapgates.registry.sample import SAMPLE_FILE
from tests.helpers import invoke, monitor_data, promoted_for_monitoring


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    """A promoted ``clf`` (registry, policy) and fresh rows from the training distribution."""
    root = tmp_path_factory.mktemp("monitor")
    registry, policy = promoted_for_monitoring(root)
    fresh = root / "fresh.csv"
    monitor_data(200, seed=5).to_csv(fresh, index=False)
    return registry, policy, fresh


def _one_line(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert result.output.startswith("gapgates: error:") and len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def _monitor(registry, fresh, *extra):
    return invoke("monitor", "--registry", registry, "--model-name", "clf", "--data", fresh, "--target", "label", *extra)


def test_a_promoted_version_stores_a_bounded_training_sample_with_its_checksum(promoted):
    registry, _, _ = promoted
    info = LocalRegistry(registry).info("v1")
    entry = info.metadata["training_sample"]
    assert entry["file"] == SAMPLE_FILE and entry["target"] == "label" and entry["rows"] == entry["of_rows"] == 1500
    stored = LocalRegistry(registry).document("v1", SAMPLE_FILE)
    assert stored is not None and stored.decode().splitlines()[0] == "x0,x1,x2,region,label"
    assert LocalRegistry(registry).document("v1", "no-such-file.csv") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--target": "nope"}, "The target column 'nope' is not in the data"),
        ({"--model-name": "other"}, "production model is 'clf', not 'other'"),
        ({"--registry": "{missing}"}, "does not exist"),
    ],
)
def test_bad_options_exit_2_with_one_line(promoted, tmp_path, change, message):
    registry, _, fresh = promoted
    options = {"--registry": str(registry), "--model-name": "clf", "--data": str(fresh), "--target": "label"}
    options.update({k: v.format(missing=tmp_path / "nope") for k, v in change.items()})
    args = [item for pair in options.items() for item in pair]
    assert message in _one_line(invoke("monitor", *args))


def test_fresh_rows_without_a_training_column_or_too_few_rows_exit_2(promoted, tmp_path):
    registry, _, _ = promoted
    lacking = tmp_path / "lacking.csv"
    monitor_data(100).drop(columns=["x2"]).to_csv(lacking, index=False)
    assert "lacks 1 feature column(s) of the production model: x2" in _one_line(_monitor(registry, lacking))
    few = tmp_path / "few.csv"
    monitor_data(10).to_csv(few, index=False)
    assert "has 10 rows; monitoring needs at least 30" in _one_line(_monitor(registry, few))


def test_a_bad_monitor_policy_value_exits_2(promoted, tmp_path):
    registry, _, fresh = promoted
    policy = tmp_path / "bad.toml"
    policy.write_text("[monitor]\nmax_drift_auc = 1.5\n")
    assert "'max_drift_auc' limit must be a number between 0 and 1. Got 1.5" in _one_line(
        _monitor(registry, fresh, "--policy", policy)
    )


def test_a_version_without_a_stored_sample_exits_2_naming_the_fix(promoted, tmp_path):
    _, _, fresh = promoted
    registry = tmp_path / "old"
    old = LocalRegistry(registry)  # a version registered before samples were stored: metadata and model only
    from sklearn.linear_model import LogisticRegression

    table = monitor_data(200)
    model = LogisticRegression().fit(table[["x0", "x1", "x2"]], table["label"])
    old.promote(
        old.register(
            model,
            name="clf",
            metadata={"decision": "promote", "primary_metric": "accuracy", "gap": {"accuracy": {"test_mean": 0.9}}},
        )
    )
    line = _one_line(_monitor(registry, fresh))
    assert "Version v1 has no training sample stored with it" in line and "promote the model again" in line


def test_a_tampered_training_sample_is_refused(promoted, tmp_path):
    import shutil

    registry, _, fresh = promoted
    copy = tmp_path / "copy"
    shutil.copytree(registry, copy)
    sample = copy / "versions" / "v1" / SAMPLE_FILE
    sample.write_text(sample.read_text().replace("north", "south", 1))
    assert "does not match its recorded sha256" in _one_line(_monitor(copy, fresh))


def test_an_out_inside_the_registry_is_bad_input_and_the_stored_report_is_untouched(promoted, tmp_path):
    """`monitor --out REGISTRY/versions/v1` replaced the version's stored report.json (the gate's evidence) and exited
    0; `registry verify` did not notice. The CLI refuses it before reading, the library before writing."""
    import shutil

    from gapgates.errors import ConfigError
    from gapgates.monitor import monitor_report, publish_monitor, run_monitor

    registry, policy, fresh = promoted
    copy = tmp_path / "registry"
    shutil.copytree(registry, copy)
    kept = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    for out in (copy, copy / "versions" / "v1"):
        assert "lies inside the registry" in _one_line(_monitor(copy, fresh, "--policy", policy, "--out", out))
    report = monitor_report(run_monitor(fresh, registry=copy, model_name="clf", target="label", policy=policy))
    with pytest.raises(ConfigError, match="lies inside the registry"):
        publish_monitor(report, out=copy / "versions" / "v1", history=tmp_path / "history.sqlite")
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == kept
    assert not (tmp_path / "history.sqlite").exists()  # refused before the history row too


def test_a_monitor_run_on_the_same_distribution_is_ok_and_its_report_validates(promoted, tmp_path):
    from gapgates.report.schema import validate_monitor

    registry, policy, fresh = promoted
    result = _monitor(registry, fresh, "--policy", policy, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    validate_monitor(report)
    assert report["kind"] == "monitor" and report["decision"] == "ok" and report["registry"]["version"] == "v1"
    assert report["registry"]["promoted_at"] is not None and report["training_sample"]["rows"] == 1500
    broken = {**report, "decision": "promote"}
    with pytest.raises(Exception, match="does not match the monitor report schema at 'decision'"):
        validate_monitor(broken)


def test_an_mlflow_version_stores_its_training_sample_and_is_monitored(tmp_path):
    """The same monitor on a real local MLflow store: the sample is logged with the version's run and read back."""
    pytest.importorskip("mlflow", reason="needs the mlflow extra: pip install 'gapgates[mlflow]'")
    from gapgates.enforcement import enforce
    from gapgates.registry import open_registry
    from tests.helpers import PERMISSIVE, gate_run, sqlite_uri

    train, fresh = tmp_path / "train.csv", tmp_path / "fresh.csv"
    monitor_data(600).to_csv(train, index=False)
    monitor_data(300, shift=2.5, seed=3).to_csv(fresh, index=False)
    location = f"mlflow:{sqlite_uri(tmp_path)}"
    registry = open_registry(location, model_name="LogisticRegression")
    done = enforce(gate_run(train, tmp_path / "scratch", PERMISSIVE), registry, promote=True)
    entry = registry.info(done.version).metadata["training_sample"]
    assert (entry["rows"], entry["target"]) == (600, "label")
    assert registry.document(done.version, SAMPLE_FILE).decode().startswith("x0,x1,x2,region,label")
    result = invoke(
        "monitor",
        "--registry",
        location,
        "--model-name",
        "LogisticRegression",
        "--data",
        fresh,
        "--target",
        "label",
        "--out",
        tmp_path / "out",
    )
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["decision"] == "retrain" and report["registry"]["version"] == done.version
    assert report["drift"]["drifted"][0] == "x0"


def test_fresh_rows_failing_the_quality_suite_warn_by_default_and_retrain_when_the_policy_says(promoted, tmp_path):
    """A few empty values over the policy's null fraction fail the built-in suite (the model still predicts)."""
    registry, _, _ = promoted
    fresh = tmp_path / "empty-region.csv"
    table = monitor_data(200, seed=7)
    table.loc[:9, "region"] = None
    table.to_csv(fresh, index=False)
    policy = tmp_path / "nulls.toml"
    policy.write_text("[quality]\nmax_null_fraction = 0.01\n")
    warned = _monitor(registry, fresh, "--policy", policy, "--out", tmp_path / "warn", "--history", tmp_path / "h.sqlite")
    assert warned.exit_code == 1, warned.output
    report = json.loads((tmp_path / "warn" / "report.json").read_text())
    quality = [c for c in report["checks"] if c["name"].startswith("quality")]
    assert report["decision"] == "warn" and quality and all(c["status"] == "warn" for c in quality)
    assert any("region" in c["message"] for c in quality)
    strict_policy = tmp_path / "strict.toml"
    strict_policy.write_text('[quality]\nmax_null_fraction = 0.01\n[monitor]\non_quality_fail = "retrain"\n')
    strict = _monitor(
        registry, fresh, "--policy", strict_policy, "--out", tmp_path / "strict", "--history", tmp_path / "h.sqlite"
    )
    assert strict.exit_code == 1 and json.loads((tmp_path / "strict" / "report.json").read_text())["decision"] == "retrain"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("yes-no", "include 'no', 'yes' on 100% of the rows, which the production model never saw: its classes are 0, 1"),
        ("unseen", "include 2 on 25% of the rows, which the production model never saw: its classes are 0, 1"),
    ],
)
def test_labels_the_model_never_saw_are_bad_input_not_a_retrain(promoted, tmp_path, labels, expected):
    """A labelling-pipeline bug must not start an automated retrain: exit 2, naming the column, values and classes."""
    registry, _, _ = promoted
    fresh = tmp_path / "labels.csv"
    table = monitor_data(200, seed=7)
    if labels == "yes-no":
        table["label"] = table["label"].map({0: "no", 1: "yes"})
    else:
        table.loc[:49, "label"] = 2
    table.to_csv(fresh, index=False)
    line = _one_line(_monitor(registry, fresh, "--out", tmp_path / "out"))
    assert "'label'" in line and expected in line, line
    assert not (tmp_path / "out" / "report.json").exists()


@pytest.mark.parametrize("bad", ["text", "missing"])
def test_bad_values_in_a_numeric_column_name_the_column_not_the_model(promoted, tmp_path, bad):
    registry, _, _ = promoted
    fresh = tmp_path / "bad.csv"
    table = monitor_data(200, seed=8).astype({"x1": object})
    table.loc[:2, "x1"] = "twelve" if bad == "text" else None
    table.to_csv(fresh, index=False)
    line = _one_line(_monitor(registry, fresh))
    assert "'x1'" in line and "LogisticRegression raised" not in line, line
    assert ("holds text ('twelve' on 3 row(s))" if bad == "text" else "missing values") in line


def test_gapgates_report_rerenders_a_monitor_report(promoted, tmp_path):
    registry, _, fresh = promoted
    assert _monitor(registry, fresh, "--out", tmp_path / "run", "--history", tmp_path / "h.sqlite").exit_code == 0
    again = invoke("report", "--from", tmp_path / "run", "--out", tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "report.md").read_text() == (tmp_path / "run" / "report.md").read_text()
    assert "gapgates monitor: clf v1: OK" in (tmp_path / "again" / "report.html").read_text()
    assert not (tmp_path / "again" / "report.json").exists()


def test_metadata_changed_outside_gapgates_exits_2_not_3(promoted, tmp_path):
    import hashlib
    import shutil

    registry, _, fresh = promoted
    grown = tmp_path / "grown"  # rows added to the sample and its checksum rewritten to match
    shutil.copytree(registry, grown)
    sample, meta_path = grown / "versions" / "v1" / SAMPLE_FILE, grown / "versions" / "v1" / "metadata.json"
    lines = sample.read_text().splitlines()
    sample.write_text("\n".join(lines + lines[1:]) + "\n")
    meta = json.loads(meta_path.read_text())
    meta["training_sample"]["sha256"] = hashlib.sha256(sample.read_bytes()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    assert "changed after the version was registered" in _one_line(_monitor(grown, fresh))  # its own checksum
    _rewrite_metadata(meta_path, meta)  # the metadata's checksum rewritten too: the sample's row count still tells
    assert "has 3,000 rows, not the 1500 recorded" in _one_line(_monitor(grown, fresh))
    scored = tmp_path / "scored"  # a promoted test score that is not a number
    shutil.copytree(registry, scored)
    meta_path = scored / "versions" / "v1" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["gap"]["accuracy"]["test_mean"] = "0.9; DROP"
    _rewrite_metadata(meta_path, meta)
    assert "records a test score for 'accuracy' that is not a number" in _one_line(_monitor(scored, fresh))


def _rewrite_metadata(path, meta) -> None:
    """Write a version's metadata with its checksum recomputed, as a hand that knows the format would."""
    from gapgates.registry.files import json_sha256

    meta = {k: v for k, v in meta.items() if k != "metadata_sha256"}
    path.write_text(json.dumps({**meta, "metadata_sha256": json_sha256(meta)}))


def test_a_retrain_sees_which_columns_moved_since_the_production_versions_data(promoted, tmp_path):
    import shutil

    from gapgates.report.schema import validate_report

    registry, policy, _ = promoted
    copy = tmp_path / "registry"
    shutil.copytree(registry, copy)
    shifted = tmp_path / "shifted.csv"
    frame = monitor_data(1500, seed=7)
    frame["x2"] = frame["x2"] + 1.5  # only x2 moves; the label rule ignores it
    frame.to_csv(shifted, index=False)
    out = tmp_path / "retrain"
    result = invoke(
        "check",
        "--data",
        shifted,
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--param",
        "max_iter=1000",
        "--name",
        "clf",
        "--registry",
        copy,
        "--policy",
        policy,
        "--out",
        out,
    )
    assert result.exit_code in (0, 1), result.output
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    reference = report["reference_drift"]
    assert reference["version"] == "v1" and reference["reference_rows"] == 1500 and reference["drifted"] == ["x2"]
    assert reference["columns"][0]["column"] == "x2" and reference["columns"][0]["drifted"]
    assert "Drifted since production v1's data" in (out / "report.md").read_text()
    assert 'id="reference-drift"' in (out / "report.html").read_text()
    same = tmp_path / "same.csv"
    monitor_data(1500, seed=8).to_csv(same, index=False)
    result = invoke(
        "check",
        "--data",
        same,
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--param",
        "max_iter=1000",
        "--name",
        "clf",
        "--registry",
        copy,
        "--policy",
        policy,
        "--out",
        tmp_path / "same",
    )
    assert json.loads((tmp_path / "same" / "report.json").read_text())["reference_drift"]["drifted"] == []
