"""gapgates sweep in-process: the same folds, the data read once, each value judged as check judges it, the reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from gapgates.compute.sweep import Regime, parse_sweep
from gapgates.config import make_config
from gapgates.judge.policy import parse_policy
from gapgates.pipeline.definition import run_check
from gapgates.pipeline.steps import make_folds
from gapgates.pipeline.sweep import run_sweep
from gapgates.report.schema import validate_sweep
from tests.helpers import invoke, noisy_classification

TREE = "sklearn.tree.DecisionTreeClassifier"
#: The accuracy gap's upper bound at most 0.05, beat the dummy baseline; the data's label noise is allowed.
POLICY = {
    "gap": {"metrics": ["accuracy"], "max_gap": 0.05, "gate_on": "upper"},
    "performance": {"min_gain_over_baseline": 0.0},
    "noise": {"max_rate": 1.0, "max_confident_error_ratio": 100},
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "noisy.csv"
    noisy_classification(600, flip=0.1).to_csv(path, index=False)
    return path


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "upper"\n'
        "[performance]\nmin_gain_over_baseline = 0.0\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n"
    )
    return path


def _config(data: Path, **options):
    return make_config({"data": data, "target": "label", "model": TREE, "n_jobs": 1, **options})


def test_every_value_runs_on_the_same_folds_of_the_data_read_once(data, monkeypatch):
    import gapgates.pipeline.inputs as inputs

    reads = []
    real = inputs.load_table
    monkeypatch.setattr(inputs, "load_table", lambda *a, **k: reads.append(a) or real(*a, **k))
    result = run_sweep(_config(data), parse_sweep("max_depth=1..5"), policy=parse_policy(POLICY))

    assert len(reads) == 1
    folds = make_folds(result.prepared)
    assert [p.value for p in result.points] == [1, 2, 3, 4, 5]
    for point in result.points:
        measured = point.gap.cv.splits[: len(folds)]
        assert all(np.array_equal(a, b) and np.array_equal(c, d) for (a, c), (b, d) in zip(measured, folds))
        assert point.run.prepared.config.params == {"max_depth": point.value}
    assert len({p.primary.train_mean for p in result.points}) == 5  # each value really fitted its own trees


def test_each_value_is_judged_as_check_judges_it(data):
    policy = parse_policy(POLICY)
    result = run_sweep(_config(data), parse_sweep("max_depth=1,12"), policy=policy)
    for point in result.points:
        alone = run_check(_config(data, params={"max_depth": point.value}), policy=policy)
        assert point.primary.test == alone.evidence.gap.primary.test
        assert point.run.decision.outcome is alone.decision.outcome
        assert [(c.name, c.status) for c in point.run.decision.checks] == [(c.name, c.status) for c in alone.decision.checks]
    shallow, deep = result.points
    assert shallow.passed and not deep.passed  # both sides of the gap limit
    assert "gap:accuracy" in [c.name for c in deep.run.decision.failed]


def test_the_recommendation_is_the_best_passing_test_score(data):
    result = run_sweep(_config(data), parse_sweep("max_depth=1..8"), policy=parse_policy(POLICY))
    passing = [p for p in result.points if p.passed]
    assert passing and len(passing) < len(result.points)
    assert result.recommended is max(passing, key=lambda p: p.primary.test_mean)
    assert result.param_line == f"--param max_depth={result.recommended.value}"
    assert all(p.regime in set(Regime) for p in result.points)


def test_a_tie_goes_to_the_less_flexible_value(data):
    # a converged logistic regression scores the same with either iteration cap
    config = make_config({"data": data, "target": "label", "model": "sklearn.linear_model.LogisticRegression", "n_jobs": 1})
    result = run_sweep(config, parse_sweep("max_iter=2000,1000"), policy=parse_policy(POLICY))
    first, second = result.points
    assert (first.value, second.value) == (1000, 2000)  # in order of capacity, whatever the order given
    assert first.primary.test_mean == second.primary.test_mean and first.passed
    assert result.recommended is first


def test_cli_writes_a_valid_sweep_json_and_md_and_prints_the_param_line(data, policy_file, tmp_path):
    out = tmp_path / "sweep"
    r = invoke(
        "sweep",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        TREE,
        "--policy",
        policy_file,
        "--sweep",
        "max_depth=1..6",
        "--out",
        out,
        "--name",
        "<b>tree</b>",
    )
    assert r.exit_code == 0, r.output
    document = json.loads((out / "sweep.json").read_text())
    validate_sweep(document)
    assert (document["gap_limit"], document["gate_on"]) == (0.05, "upper")
    page = (out / "sweep.html").read_text()
    assert 'aria-label="Capacity curve over max_depth' in page and "limit 0.05" in page and "recommended" in page
    assert "&lt;b&gt;tree&lt;/b&gt;" in page and "<b>tree</b>" not in page
    assert page.count("<tr>") == 1 + 6
    best = document["recommendation"]
    assert best["param_line"] == f"--param max_depth={best['value']}"
    assert f"\n  {best['param_line']}\n" in r.output
    assert [e["value"] for e in document["values"]] == [1, 2, 3, 4, 5, 6]
    assert document["cv"]["fits"] >= 6 * 5
    assert best["param_line"] in (out / "sweep.md").read_text()
    assert not (out / "report.json").exists() and not (tmp_path / "history.sqlite").exists()  # records nothing


def test_cli_exits_1_when_no_value_passes(data, tmp_path):
    strict = tmp_path / "strict.toml"
    # mode = "absolute": every gap over the limit blocks, whatever it costs
    strict.write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.0001\ngate_on = "upper"\nmode = "absolute"\n'
        "[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n"
    )
    r = invoke(
        "sweep",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        TREE,
        "--policy",
        strict,
        "--sweep",
        "max_depth=4,8",
        "--out",
        tmp_path / "s",
    )
    assert r.exit_code == 1, r.output
    assert "No value of max_depth passes the policy." in r.output
    assert json.loads((tmp_path / "s" / "sweep.json").read_text())["recommendation"] is None


def _sweep_json(data: Path, out: Path, *, seed: int, n_jobs: int = 1) -> dict:
    r = invoke(
        "sweep",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        "sklearn.ensemble.RandomForestClassifier",
        "--param",
        "n_estimators=5",
        "--n-jobs",
        n_jobs,
        "--seed",
        seed,
        "--sweep",
        "max_depth=2,4",
        "--out",
        out,
    )
    assert r.exit_code in (0, 1), r.output
    document = json.loads((out / "sweep.json").read_text())
    document.pop("created")
    return document


def test_same_seed_same_numbers(data, tmp_path):
    first = _sweep_json(data, tmp_path / "a", seed=3)
    assert _sweep_json(data, tmp_path / "b", seed=3) == first
    assert _sweep_json(data, tmp_path / "c", seed=4)["values"] != first["values"]


def test_values_in_parallel_give_the_numbers_of_values_one_at_a_time(data, tmp_path, monkeypatch):
    import gapgates.config

    monkeypatch.setattr(gapgates.config, "usable_cores", lambda: 2)  # two workers even on a one-core runner
    assert _sweep_json(data, tmp_path / "parallel", seed=3, n_jobs=2) == _sweep_json(data, tmp_path / "serial", seed=3)


def test_values_fan_out_within_n_jobs_and_fit_their_folds_one_at_a_time(data, monkeypatch):
    import gapgates.config

    monkeypatch.setattr(gapgates.config, "usable_cores", lambda: 4)
    policy = parse_policy(POLICY)
    parallel = run_sweep(_config(data, n_jobs=2), parse_sweep("max_depth=2,3,5"), policy=policy)
    serial = run_sweep(_config(data, n_jobs=1), parse_sweep("max_depth=2,3,5"), policy=policy)
    # fanned out: each value ran its folds serially (no nested pool); one at a time: its folds got the workers
    assert [p.run.prepared.config.n_jobs for p in parallel.points] == [None] * 3
    assert [p.run.prepared.config.n_jobs for p in serial.points] == [1] * 3
    assert [p.primary.test for p in parallel.points] == [p.primary.test for p in serial.points]
    assert _config(data, n_jobs=8).workers_for(3) == 3 and _config(data, n_jobs=-1).workers_for(10) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--sweep", "max_depth=1..200"),
            r"would fit the model 1,000 times \(200 values × 5 folds × 1 repeats\), more "
            r"than the limit of 500\. .*--max-fits 1000\.",
        ),
        (("--sweep", "max_depth=1..30", "--max-fits", "60"), r"150 times .* raise the limit with --max-fits 150\."),
        (("--sweep", "max_depth=1..3", "--learning-curve"), "does not fit learning curves"),
        (("--sweep", "max_depth=1..3", "--training-curve"), "does not replay training curves.*gapgates check --training-curve"),
        (("--sweep", "max_depth=1..3", "--param", "max_depth=2"), "both swept and set with --param"),
        (("--sweep", "max_depth=1..3", "--promote", "--registry", "reg"), "registers and promotes nothing"),
        (("--sweep", "max_dpth=1..3"), "'max_dpth' is not accepted by DecisionTreeClassifier"),
        (("--sweep", "max_depth=-1,2"), "fold 1 of 5: The 'max_depth' parameter of DecisionTreeClassifier must be"),
        (("--sweep", "max_depth=3..1"), "must go up"),
    ],
)
def test_bad_sweeps_exit_2_with_one_line(data, tmp_path, args, message):
    r = invoke("sweep", "--data", data, "--target", "label", "--model", TREE, *args)
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gapgates: error: "), r.output
    assert "Traceback" not in r.output
    assert re.search(message, lines[0]), lines[0]


def test_within_the_ceiling_exactly_runs(data):
    r = invoke("sweep", "--data", data, "--target", "label", "--model", TREE, "--max-fits", 10, "--sweep", "max_depth=1,2")
    assert r.exit_code in (0, 1), r.output


def test_check_recommend_puts_a_verified_value_in_the_report(data, policy_file, tmp_path):
    from gapgates.report.schema import validate_report

    out = tmp_path / "tree"
    r = invoke(
        "check", "--data", data, "--target", "label", "--model", TREE, "--policy", policy_file, "--out", out, "--recommend"
    )
    assert r.exit_code == 1, r.output  # the run's own decision does not change
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    section = report["recommendation"]
    assert section["param"] == "max_depth" and section["tried"] == list(range(1, 13))
    assert section["value"] in section["passing"] and section["param_line"] == f"--param max_depth={section['value']}"
    assert report["diagnosis"]["mitigations"][0].startswith(
        f"Verified by a capacity sweep of max_depth: {section['param_line']} passes the policy"
    )
    assert section["param_line"] in (out / "report.md").read_text()
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["recommendation"]["value"] == section["value"]
    assert f"\n  {section['param_line']}\n" in r.output


def test_check_recommend_sweeps_nothing_after_a_pass(data, policy_file, tmp_path):
    out = tmp_path / "shallow"
    r = invoke(
        "check",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        TREE,
        "--param",
        "max_depth=1",
        "--policy",
        policy_file,
        "--out",
        out,
        "--recommend",
    )
    assert r.exit_code == 0, r.output
    assert "recommendation" not in json.loads((out / "report.json").read_text())
    assert not (out / "sweep.json").exists() and "SWEEP" not in r.output


def test_check_recommend_over_the_ceiling_is_a_note_and_the_block_stands(data, policy_file, tmp_path):
    r = invoke(
        "check",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        TREE,
        "--policy",
        policy_file,
        "--max-fits",
        20,
        "--out",
        tmp_path / "t",
        "--recommend",
    )
    assert r.exit_code == 1, r.output
    assert "gapgates: note: --recommend: the capacity sweep could not run: The sweep would fit the model 60 times" in r.output
    assert "recommendation" not in json.loads((tmp_path / "t" / "report.json").read_text())


def test_check_recommend_shares_one_fit_ceiling_with_the_run(data, policy_file, tmp_path):
    # the sweep alone fits 60 times: within --max-fits 62, but not within what the run's own folds left of it
    r = invoke(
        "check",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        TREE,
        "--policy",
        policy_file,
        "--max-fits",
        62,
        "--out",
        tmp_path / "t",
        "--recommend",
    )
    assert r.exit_code == 1, r.output
    assert "the capacity sweep could not run: The sweep would fit the model 60 times" in r.output
    assert "what the run and the earlier phases left of --max-fits 62" in r.output
    assert "recommendation" not in json.loads((tmp_path / "t" / "report.json").read_text())


def test_check_recommend_is_in_the_reports_before_the_history_row_and_the_webhook(data, tmp_path, webhook):
    from gapgates.history import History
    from tests.helpers import webhook_url

    policy = tmp_path / "notify.toml"
    policy.write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "upper"\n'
        "[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n"
        f'[notify]\nwebhook_url = "{webhook_url(webhook)}"\n'
    )
    out = tmp_path / "tree"
    r = invoke("check", "--data", data, "--target", "label", "--model", TREE, "--policy", policy, "--out", out, "--recommend")
    assert r.exit_code == 1, r.output
    line = json.loads((out / "report.json").read_text())["recommendation"]["param_line"]
    assert line is not None and line in (out / "report.md").read_text() and line in (out / "report.html").read_text()
    # the webhook is sent after the history row, from the published report: the recommendation is in it
    [sent] = webhook.received
    assert f"Verified by a capacity sweep of max_depth: {line} passes the policy" in sent["body"]["text"]
    [row] = History(tmp_path / "history.sqlite").runs()
    assert row.decision == "block" and json.loads((out / "sweep.json").read_text())["recommendation"]["param_line"] == line


EPOCH_TREE = '''
from sklearn.tree import DecisionTreeClassifier


class EpochTree(DecisionTreeClassifier):
    """A tree that says it trains by epochs, whose partial_fit raises: its training curve cannot be computed."""

    def fit(self, X, y, sample_weight=None, check_input=True):
        super().fit(X, y, sample_weight=sample_weight, check_input=check_input)
        self.n_iter_ = 3
        return self

    def partial_fit(self, X, y, classes=None):
        raise RuntimeError("partial_fit is broken")
'''


def test_check_recommend_blocks_and_says_why_no_early_stopping_when_partial_fit_raises(data, policy_file, tmp_path):
    model = tmp_path / "epoch_tree.py"
    model.write_text(EPOCH_TREE)
    out = tmp_path / "epochs"
    r = invoke(
        "check",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        f"{model}:EpochTree",
        "--policy",
        policy_file,
        "--out",
        out,
        "--recommend",
    )
    assert r.exit_code == 1, r.output  # blocked, not "could not decide" (3)
    report = json.loads((out / "report.json").read_text())
    assert report["diagnosis"]["label"] == "overfit"
    assert report["errors"]["training_curve"] == "the training curve could not be computed: partial_fit is broken"
    assert report["early_stopping"]["settings"] == [] and report["early_stopping"]["recommended"] is None
    assert report["early_stopping"]["note"].startswith("no early-stopping point: the training curve could not be computed")
    assert "gapgates: note: --recommend: no early-stopping point:" in r.output
    assert report["recommendation"]["param"] == "max_depth"  # the capacity sweep still ran
