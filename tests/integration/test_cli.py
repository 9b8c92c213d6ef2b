"""The `gapgates check` CLI in-process (click's CliRunner): usage and data errors, config files, holdouts.

The acceptance cases as real subprocesses are in tests/e2e/test_cli.py.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.helpers import invoke


def write(tmp_path, name, df):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def small(tmp_path):
    df = pd.DataFrame({"a": range(40), "b": [i % 7 for i in range(40)], "y": [i % 2 for i in range(40)]})
    return write(tmp_path, "small.csv", df)


TREE = "sklearn.tree.DecisionTreeClassifier"


def bad_cases(tmp_path, small):
    """(description, args, expected message) for every usage and data error of the issue."""

    def f(name, df):
        return write(tmp_path, name, df)

    good = ["--data", small, "--target", "y", "--model", TREE]
    pd.read_csv(small).to_csv(tmp_path / "semi.csv", sep=";", index=False)
    policy = tmp_path / "p.toml"
    return {
        "missing file": (["--data", tmp_path / "x.csv", "--target", "y", "--model", TREE], "does not exist"),
        "unreadable file": (["--data", tmp_path, "--target", "y", "--model", TREE], "is a directory"),
        "missing target": (["--data", small, "--target", "label", "--model", TREE], "target column 'label' is not in"),
        "unknown model": (["--data", small, "--target", "y", "--model", "sklearn.tree.Nope"], "Unknown model"),
        "bad param name": ([*good, "--param", "depth=3"], "'depth' is not accepted"),
        "param twice": ([*good, "--param", "max_depth=3", "--param", "max_depth=4"], "--param max_depth is given twice"),
        "bad param value": (
            [*good, "--param", "max_depth=-2"],
            "DecisionTreeClassifier raised InvalidParameterError in fit on fold 1 of 5: The 'max_depth'",
        ),
        "unknown scoring": (good, "Unknown scoring name 'acc'", '[gap]\nmetrics = ["acc"]\n'),
        "proba scoring": ([*good[:-1], "sklearn.svm.SVC"], "needs predict_proba", '[gap]\nmetrics = ["neg_log_loss"]\n'),
        "folds > rows": ([*good, "--folds", "41"], "exceeds"),
        "folds < 2": ([*good, "--folds", "1"], "folds"),
        "bad toml": (good, "is not valid TOML", "[gap\n"),
        "unknown key": (good, "unknown key 'gap.maxgap'", "[gap]\nmaxgap = 0.1\n"),
        "wrong type": (good, "'gap.gate_on'", "[gap]\ngate_on = 3\n"),
        "negative limit": (good, "between 0 and 1. Got -0.2", "[gap]\nmax_gap = -0.2\n"),
        "limit > 1": (good, "between 0 and 1. Got 1.2", "[noise]\nmax_rate = 1.2\n"),
        "missing policy": ([*good, "--policy", tmp_path / "none.toml"], "does not exist"),
        "missing holdout": ([*good, "--holdout", tmp_path / "none.csv"], "Holdout file (--holdout) '"),  # was "Data file"
        "semicolon csv": (  # read as one column: say why the target is missing, not only that it is
            ["--data", tmp_path / "semi.csv", "--target", "y", "--model", TREE],
            "the file seems separated by ';', and gapgates reads comma-separated CSV. Convert it to commas.",
        ),
        "holdout too large": ([*good, "--holdout-fraction", "0.99"], "Use a --holdout-fraction that leaves every class"),
        "empty table": (["--data", f("e.csv", pd.DataFrame({"a": [], "y": []})), "--target", "y", "--model", TREE], "empty"),
        "nan target": (
            [
                "--data",
                f("n.csv", pd.DataFrame({"a": [1, 2, 3, 4], "y": [0, None, 1, 0]})),
                "--target",
                "y",
                "--model",
                TREE,
                "--folds",
                "2",
            ],
            "missing value",
        ),
        "single class": (
            ["--data", f("s.csv", pd.DataFrame({"a": range(10), "y": [1] * 10})), "--target", "y", "--model", TREE],
            "single class",
        ),
        "rare class": (
            ["--data", f("r.csv", pd.DataFrame({"a": range(12), "y": [0] * 10 + [1] * 2})), "--target", "y", "--model", TREE],
            "Class 1 has 2 row(s), fewer than the 5 folds",
        ),
        "holdout columns": (
            [*good, "--holdout", f("h.csv", pd.DataFrame({"a": [1], "c": [2], "y": [0]}))],
            "holdout's columns differ",
        ),
        "bad config": ([*good, "--config", tmp_path / "none.toml"], "Config file"),
        # an unset shell variable: the working directory would have become a registry, and the run exited 0
        "empty registry": ([*good, "--registry", "", "--promote"], "'registry' must name a registry directory"),
        # nothing would be promoted, and the run would exit 0 as if it had been
        "promote without registry": ([*good, "--promote"], "--promote moves production in a registry"),
        # r2 of a single row is NaN on every fold: the gate blamed the model ("overfit", exit 1)
        "one test row": (
            [
                "--data",
                f("reg.csv", pd.DataFrame({"a": range(10), "y": [1.5 * i for i in range(10)]})),
                "--target",
                "y",
                "--model",
                "sklearn.linear_model.Ridge",
                "--folds",
                "10",
            ],
            "The metric 'r2' needs at least 2 test rows per fold, and 10 folds of 10 rows test 1. Use --folds 5 or fewer.",
        ),
        # a regressor on text or infinite targets failed inside its fit or scorer, and the message blamed the model
        "text target for a regressor": (
            regression(f("t.csv", pd.DataFrame({"a": range(20), "y": ["low", "high"] * 10}))),
            "The target 'y' has 20 value(s) that are not numbers (rows 0, 1, 2, 3, 4, ...; e.g. 'low'), but",
        ),
        "infinite target": (
            regression(f("i.csv", pd.DataFrame({"a": range(20), "y": [np.inf if i == 3 else 1.5 * i for i in range(20)]}))),
            "The target 'y' has 1 infinite value(s) (rows 3): no regressor can be fit or scored on them.",
        ),
        "infinite holdout target": (
            [
                *regression(f("fine.csv", pd.DataFrame({"a": range(20), "y": [1.5 * i for i in range(20)]}))),
                "--holdout",
                f("ih.csv", pd.DataFrame({"a": [1, 2, 3], "y": [1.0, -np.inf, 2.0]})),
            ],
            "The holdout's target 'y' has 1 infinite value(s) (rows 1)",
        ),
    }, policy


def regression(data: Path) -> list[Any]:
    """The check options of a ridge regression on ``data`` (target ``y``)."""
    return ["--data", data, "--target", "y", "--model", "sklearn.linear_model.Ridge"]


CASES = [
    "missing file",
    "unreadable file",
    "missing target",
    "unknown model",
    "bad param name",
    "param twice",
    "bad param value",
    "unknown scoring",
    "proba scoring",
    "folds > rows",
    "folds < 2",
    "bad toml",
    "unknown key",
    "wrong type",
    "negative limit",
    "limit > 1",
    "missing policy",
    "missing holdout",
    "semicolon csv",
    "holdout too large",
    "single class",
    "rare class",
    "bad config",
    "empty registry",
    "promote without registry",
    "one test row",
    "text target for a regressor",
    "infinite target",
    "infinite holdout target",
]

# Data errors the data-quality gate catches: a block decision with a report naming the expectation (exit 1).
QUALITY_CASES = {
    "empty table": "expect_table_row_count_to_be_between",
    "nan target": "expect_column_values_to_not_be_null",
    "holdout columns": "expect_column_to_exist",
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, small):
    cases, policy = bad_cases(tmp_path, small)
    args, expected, *policy_text = cases[case]
    args = list(args)
    if policy_text:
        policy.write_text(policy_text[0])
        args += ["--policy", policy]
    out = tmp_path / "out"
    result = invoke("check", *args, "--out", out)
    assert result.exit_code == 2, (result.output, result.exception)
    assert expected in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (out / "report.json").exists()


def test_a_policy_saved_with_a_byte_order_mark_is_read(tmp_path, small):
    """Windows editors start a UTF-8 file with a BOM; the policy was refused as invalid TOML at line 1, column 1."""
    policy = tmp_path / "bom.toml"
    policy.write_bytes(b"\xef\xbb\xbf[gap]\nmax_gap = 0.2\n")
    result = invoke("check", "--data", small, "--target", "y", "--model", TREE, "--policy", policy, "--out", tmp_path / "o")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads((tmp_path / "o" / "report.json").read_text())["policy"]["gap"]["max_gap"]["limit"] == 0.2


def test_an_empty_out_or_a_demo_out_that_is_a_file_is_bad_input(tmp_path, small, monkeypatch):
    """``--out ""`` (an unset variable) wrote the reports and the history into the working directory and exited 0;
    ``demo --out FILE`` was an internal error (exit 3)."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    for args, expected in (
        (["check", "--data", small, "--target", "y", "--model", TREE, "--out", ""], "'out' must name a report directory"),
        (["demo", "--out", ""], "The demo directory (--out) must be named"),
        (["demo", "--out", small], "is a file, not a directory"),
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (result.output, result.exception)
        assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert sorted(tmp_path.iterdir()) == before  # nothing written


def test_an_out_inside_a_registry_is_bad_input_and_the_registry_is_untouched(tmp_path, small):
    """A report directory inside a directory registry replaced a stored version's report.json (exit 0)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from gapgates.registry.local import LocalRegistry

    registry = tmp_path / "registry"
    LocalRegistry(registry).register(LogisticRegression().fit(np.eye(4), [0, 1, 0, 1]), name="m", metadata={})
    kept = {p: p.read_bytes() for p in registry.rglob("*") if p.is_file()}
    for out in (registry, registry / "versions" / "v1", registry / "versions" / "v9"):
        result = invoke("check", "--data", small, "--target", "y", "--model", TREE, "--out", out)
        assert result.exit_code == 2, (result.output, result.exception)
        assert "lies inside the registry" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in registry.rglob("*") if p.is_file()} == kept


def test_a_demo_whose_candidate_is_not_promoted_exits_1(tmp_path):
    """The demo exited 0 when its registered candidate was blocked (here by the production model another table left in
    the registry: it cannot score the demo's features), as if it had been promoted."""
    from sklearn.datasets import load_wine

    wine = write(tmp_path, "wine.csv", load_wine(as_frame=True).frame)
    lr = "sklearn.linear_model.LogisticRegression"
    registry = tmp_path / "demo" / "registry"
    first = invoke(
        "check",
        "--data",
        wine,
        "--target",
        "target",
        "--model",
        lr,
        "--name",
        "scaled-logreg",
        "--registry",
        registry,
        "--promote",
    )
    assert first.exit_code == 0, first.output
    demo = invoke("demo", "--out", tmp_path / "demo")
    assert demo.exit_code == 1, demo.output
    assert "scaled-logreg was not promoted" in demo.stderr and "did not move" in demo.stderr
    assert json.loads((registry / "production.json").read_text())["version"] == "v1"


@pytest.mark.parametrize("case", sorted(QUALITY_CASES))
def test_data_errors_caught_by_the_quality_gate_block_with_a_report(case, tmp_path, small):
    cases, _ = bad_cases(tmp_path, small)
    args = list(cases[case][0])
    out = tmp_path / "out"
    result = invoke("check", *args, "--out", out)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["decision"] == "block" and report["gap"] is None
    failed = [c["name"] for c in report["checks"] if c["status"] == "fail"]
    assert any(QUALITY_CASES[case] in name for name in failed), failed


def test_config_file_supplies_options_and_cli_overrides(tmp_path, noisy_csv, cli_policy):
    config = tmp_path / "gapgates.toml"
    config.write_text(
        f'data = "{noisy_csv.name}"\ntarget = "label"\nmodel = "{TREE}"\nfolds = 3\nout = "from-config"\n'
        f'policy = "{cli_policy.name}"\n[params]\nmax_depth = 2\n'
    )
    result = invoke("check", "--config", config, "--folds", "4")
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads((tmp_path / "from-config" / "report.json").read_text())
    assert report["config"]["folds"] == 4  # CLI wins
    assert report["config"]["params"] == {"max_depth": 2}
    assert report["cv"]["folds"] == 4
    assert report["cv"]["n_folds"] == 4 * (1 + report["cv"]["adaptive"]["added"])  # whole 4-fold repeats


def test_unknown_config_key(tmp_path):
    config = tmp_path / "gapgates.toml"
    config.write_text('data = "x.csv"\ntarget = "y"\nmodel = "m.M"\nfoldz = 3\n')
    result = invoke("check", "--config", config)
    assert result.exit_code == 2 and "unknown option 'foldz'" in result.stderr


def test_missing_required_option():
    result = invoke("check", "--target", "y")
    assert result.exit_code == 2 and "'data' is required" in result.stderr


def test_holdout_file_and_fraction_are_reported(tmp_path, noisy_csv, cli_policy):
    df = pd.read_csv(noisy_csv)
    train, hold = write(tmp_path, "train.csv", df.iloc[:450]), write(tmp_path, "hold.csv", df.iloc[450:])
    out = tmp_path / "o1"
    result = invoke(
        "check",
        "--data",
        train,
        "--target",
        "label",
        "--model",
        TREE,
        "--param",
        "max_depth=3",
        "--holdout",
        hold,
        "--policy",
        cli_policy,
        "--out",
        out,
    )
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads((out / "report.json").read_text())
    h = report["holdout"]["accuracy"]
    assert h["gap"] == pytest.approx(h["train"] - h["test"])
    assert report["data"]["holdout_rows"] == 150
    assert any(c["name"] == "holdout_gap:accuracy" for c in report["checks"])
    out2 = tmp_path / "o2"
    result = invoke(
        "check",
        "--data",
        noisy_csv,
        "--target",
        "label",
        "--model",
        TREE,
        "--holdout-fraction",
        "0.25",
        "--policy",
        cli_policy,
        "--out",
        out2,
    )
    report = json.loads((out2 / "report.json").read_text())
    assert report["data"]["holdout_rows"] == 150 and report["data"]["train_rows"] == 450


def test_categorical_features_are_encoded_automatically(tmp_path, cli_policy):
    df = pd.DataFrame({"colour": ["red", "blue", "green"] * 40, "n": range(120), "y": [0, 1, 1] * 40})
    result = invoke(
        "check",
        "--data",
        write(tmp_path, "c.csv", df),
        "--target",
        "y",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--policy",
        cli_policy,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["data"]["lumped_columns"] == {} and "one-hot" not in result.stderr


def test_a_text_column_of_more_than_20_values_is_named_with_its_lumped_values(tmp_path, cli_policy):
    states = [f"state-{i:02d}" for i in range(30)]
    df = pd.DataFrame({"state": states * 6, "colour": ["red", "blue", "green"] * 60, "n": range(180), "y": [0, 1] * 90})
    args = ["check", "--data", write(tmp_path, "s.csv", df), "--target", "y", "--policy", cli_policy]
    result = invoke(*args, "--model", "sklearn.linear_model.LogisticRegression", "--out", tmp_path / "o")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads((tmp_path / "o" / "report.json").read_text())["data"]["lumped_columns"] == {"state": 30}
    assert "gapgates: note: 'state' (30 values): one-hot encoded as the 19 most frequent values" in result.stderr
    said = "Text columns encoded as their 19 most frequent values and one column for the rest: state (30 values)."
    assert said in (tmp_path / "o" / "report.md").read_text()
    assert f'<p class="meta" id="lumped">{said}</p>' in (tmp_path / "o" / "report.html").read_text()
    # a user Pipeline owns its encoding: nothing is lumped, and nothing is said
    own = tmp_path / "own.py"
    own.write_text(
        "from sklearn.compose import make_column_transformer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder\n"
        "MODEL = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown='ignore'), ['state', 'colour']),"
        " remainder='passthrough'), LogisticRegression(max_iter=500))\n"
    )
    piped = invoke(*args, "--model", f"{own}:MODEL", "--out", tmp_path / "p")
    assert piped.exit_code in (0, 1), piped.stderr
    assert json.loads((tmp_path / "p" / "report.json").read_text())["data"]["lumped_columns"] == {}
    assert "one-hot" not in piped.stderr and 'id="lumped"' not in (tmp_path / "p" / "report.html").read_text()


def test_a_boosting_library_is_quiet_unless_verbose(tmp_path):
    pytest.importorskip("lightgbm")
    df = pd.DataFrame({"a": range(120), "b": [i % 7 for i in range(120)], "y": [(i % 3) % 2 for i in range(120)]})
    data = write(tmp_path, "boost.csv", df)
    args = ["check", "--data", data, "--target", "y", "--model", "lightgbm.LGBMClassifier", "--param", "n_estimators=3"]
    quiet = invoke(*args, "--folds", "2", "--out", tmp_path / "quiet")
    assert quiet.exit_code in (0, 1) and "[LightGBM]" not in quiet.output, quiet.output
    loud = invoke(*args, "--folds", "2", "--out", tmp_path / "loud", "--verbose")
    assert loud.exit_code in (0, 1) and "[LightGBM] [Info]" in loud.stdout, loud.output
    assert json.loads((tmp_path / "loud" / "report.json").read_text())["config"]["verbose"] is True


def test_a_name_an_open_ended_model_does_not_list_gets_one_note(tmp_path):
    pytest.importorskip("lightgbm")
    df = pd.DataFrame({"a": range(60), "b": [i % 7 for i in range(60)], "y": [(i % 3) % 2 for i in range(60)]})
    data = write(tmp_path, "boost.csv", df)
    args = ["check", "--data", data, "--target", "y", "--model", "lightgbm.LGBMClassifier", "--folds", "2"]
    typo = invoke(*args, "--param", "n_estimators=3", "--param", "max_dept=3", "--out", tmp_path / "typo")
    assert typo.exit_code in (0, 1) and typo.stderr.count("\n") == 1, typo.stderr
    assert typo.stderr.startswith("gapgates: note: LGBMClassifier does not name 'max_dept'") and "spelling" in typo.stderr
    # its own log parameter (the issue's --param verbose=-1) and the named ones: no note
    known = invoke(*args, "--param", "n_estimators=3", "--param", "verbose=-1", "--out", tmp_path / "known")
    assert known.exit_code in (0, 1) and known.stderr == "", known.stderr
