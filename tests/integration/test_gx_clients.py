"""Suites as Great Expectations 1.x itself writes them: a file context, an ephemeral context, by hand.

The real GX client only: suites are saved through ``context.suites.add`` (which writes an ``id`` on
every expectation) and read back from the JSON GX wrote; a GX Checkpoint validates gapgates' own
profiled suite. Every suite gates the clean data to the same decision as gapgates' own copy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from gapgates.quality.gx import gx_frame
from tests.helpers import invoke

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
gx = pytest.importorskip("great_expectations")

LOGREG = "sklearn.linear_model.LogisticRegression"  # one-hot encodes the text column inside each fold


@pytest.fixture
def data(tmp_path: Path, cancer_csv: Path) -> Path:
    """The breast-cancer data with one text column (pandas 3 reads it with its ``str`` dtype)."""
    frame = pd.read_csv(cancer_csv)
    frame["site"] = ["north", "south", "east"] * (len(frame) // 3) + ["north"] * (len(frame) % 3)
    path = tmp_path / "accepted.csv"
    frame.to_csv(path, index=False)
    return path


def _file_context(root: Path):
    return gx.get_context(mode="file", project_root_dir=str(root))


def _stored(context, name: str) -> Path:
    """The JSON file a file context wrote for a suite."""
    path = Path(context.root_directory) / "expectations" / f"{name}.json"
    assert path.is_file(), list(Path(context.root_directory).rglob("*.json"))
    return path


def _policy(tmp_path: Path, suite: Path) -> Path:
    from gapgates.demo import DEMO_POLICY_PATH

    path = tmp_path / f"policy-{suite.stem}.toml"
    path.write_text(DEMO_POLICY_PATH.read_text() + f'\n[quality]\nsuite = "{suite}"\n')
    return path


def _gate(data: Path, policy: Path, out: Path) -> tuple[int, dict]:
    """``gapgates check`` on the data with the policy's suite: exit code and report."""
    result = invoke("check", "--data", data, "--target", "target", "--model", LOGREG, "--policy", policy, "--out", out)
    report = json.loads((out / "report.json").read_text())
    return result.exit_code, report


def _quality(report: dict) -> list[tuple[str, str]]:
    return [(c["name"], c["status"]) for c in report["checks"] if c["name"].startswith("quality")]


def test_a_suite_saved_by_a_file_context_gates_like_gapgates_own(tmp_path, data):
    """Profile -> save through a GX file context (ids on every expectation) -> gate: the same decision."""
    profiled = tmp_path / "profiled.json"
    assert invoke("profile", "--data", data, "--target", "target", "--out", profiled).exit_code == 0
    context = _file_context(tmp_path / "gxproject")
    context.suites.add(gx.ExpectationSuite(**{**json.loads(profiled.read_text()), "name": "accepted"}))
    stored = _stored(context, "accepted")
    written = json.loads(stored.read_text())
    assert written["id"] and all(e.get("id") for e in written["expectations"])  # what GX 1.x writes
    assert len(written["expectations"]) == len(json.loads(profiled.read_text())["expectations"])

    own_code, own = _gate(data, _policy(tmp_path, profiled), tmp_path / "own")
    gx_code, via_gx = _gate(data, _policy(tmp_path, stored), tmp_path / "via-gx")
    assert (gx_code, via_gx["decision"]) == (own_code, own["decision"]) == (0, "promote")
    assert _quality(via_gx) == _quality(own) == [("quality", "pass")]
    assert via_gx["quality"]["suites"] == ["gapgates-builtin", "accepted"]


def test_a_file_context_suite_still_blocks_bad_data(tmp_path, data):
    """The saved suite is applied, not skipped: a value outside its profiled range fails it."""
    profiled = tmp_path / "profiled.json"
    invoke("profile", "--data", data, "--target", "target", "--out", profiled)
    context = _file_context(tmp_path / "gxproject")
    context.suites.add(gx.ExpectationSuite(**{**json.loads(profiled.read_text()), "name": "accepted"}))
    bad = pd.read_csv(data)
    bad.loc[3, "mean radius"] = 1e6
    bad.to_csv(tmp_path / "bad.csv", index=False)
    code, report = _gate(tmp_path / "bad.csv", _policy(tmp_path, _stored(context, "accepted")), tmp_path / "bad")
    assert code == 1 and report["decision"] == "block"
    assert ("quality:expect_column_values_to_be_between:mean radius", "fail") in _quality(report)


def test_suites_from_an_ephemeral_context_and_by_hand(tmp_path, data):
    context = gx.get_context(mode="ephemeral")
    suite = context.suites.add(
        gx.ExpectationSuite(
            name="ephemeral",
            expectations=[
                gx.expectations.ExpectColumnValuesToNotBeNull(column="target"),
                gx.expectations.ExpectColumnValuesToBeInSet(column="site", value_set=["north", "south", "east"]),
            ],
        )
    )
    ephemeral = tmp_path / "ephemeral.json"
    ephemeral.write_text(json.dumps(suite.to_json_dict()))
    assert all(e["id"] for e in json.loads(ephemeral.read_text())["expectations"])
    by_hand = tmp_path / "by-hand.json"
    by_hand.write_text(
        json.dumps(
            {
                "name": "by-hand",
                "expectations": [
                    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "mean area", "min_value": 0}},
                ],
            }
        )
    )
    for path in (ephemeral, by_hand):
        code, report = _gate(data, _policy(tmp_path, path), tmp_path / path.stem)
        assert (code, report["decision"], _quality(report)) == (0, "promote", [("quality", "pass")]), path.name


def test_a_gx_checkpoint_validates_gapgates_profiled_suite_on_the_same_data(tmp_path, data):
    profiled = tmp_path / "profiled.json"
    invoke("profile", "--data", data, "--target", "target", "--out", profiled)
    context = _file_context(tmp_path / "gxproject")
    suite = context.suites.add(gx.ExpectationSuite(**{**json.loads(profiled.read_text()), "name": "accepted"}))
    batch = (
        context.data_sources.add_pandas("accepted-data")
        .add_dataframe_asset("accepted")
        .add_batch_definition_whole_dataframe("all")
    )
    validation = context.validation_definitions.add(gx.ValidationDefinition(name="accepted", data=batch, suite=suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(name="nightly", validation_definitions=[validation]))
    table = pd.read_csv(data)
    result = checkpoint.run(batch_parameters={"dataframe": gx_frame(table)})  # text columns as object: see below
    run = next(iter(result.run_results.values()))
    assert result.success, [(r.expectation_config.type, r.expectation_config.kwargs) for r in run.results if not r.success]
    assert len(run.results) == len(suite.expectations) == len(json.loads(profiled.read_text())["expectations"])
    # GX 1.24 cannot type-check pandas 3's `str` dtype (no type name it knows compares equal to it): handed
    # the table as read, only the text column's type check fails. This fails once GX learns the dtype.
    raw = next(iter(checkpoint.run(batch_parameters={"dataframe": table}).run_results.values()))
    failing = [(r.expectation_config.type, r.expectation_config.kwargs.get("column")) for r in raw.results if not r.success]
    assert failing == ([("expect_column_values_to_be_in_type_list", "site")] if str(table["site"].dtype) == "str" else [])
