"""Training curves on real boosting runs: a model trained far past its best iteration gets an early-stopping
point within one standard error of its best, from the gap pass's own fold models; the ``--training-curve``
run puts it in report.json (schema-valid), report.md, report.html and the overfit diagnosis's mitigations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from gapgates.compute.crossval import gap
from gapgates.compute.training_curve import training_curve
from gapgates.config import make_config
from gapgates.judge.policy import parse_policy
from gapgates.pipeline.definition import run_check
from gapgates.report.build import build_report, write_reports
from gapgates.report.schema import validate_report
from tests.helpers import noisy_classification

HGB = "sklearn.ensemble.HistGradientBoostingClassifier"
PAST_ITS_BEST = {"max_iter": 400, "learning_rate": 0.3, "early_stopping": False, "random_state": 0}


@pytest.fixture(autouse=True)
def _one_native_thread():
    """OpenMP/BLAS threads oversubscribe a shared 2-core machine; one per process keeps runs to seconds."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def noisy() -> tuple:
    frame = noisy_classification(n=600, flip=0.2, seed=1)
    return frame.drop(columns="label"), frame["label"]


def test_a_boosting_model_trained_far_past_its_best_stops_within_one_standard_error_of_it(noisy):
    X, y = noisy
    result = gap(HistGradientBoostingClassifier(**PAST_ITS_BEST), X, y, n_splits=5, n_jobs=1)
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert (curve.param, curve.fitted) == ("max_iter", 400)
    test = np.asarray(curve.test)
    assert test.shape == (5, len(curve.iterations))
    mean = test.mean(axis=0)
    se = test.std(axis=0, ddof=1) / np.sqrt(test.shape[0])
    best = int(np.argmax(mean))
    within = [i for i, m in zip(curve.iterations, mean) if m >= mean[best] - se[best]]
    assert curve.best == curve.iterations[best]
    assert curve.stop == within[0]  # the smallest iteration within one standard error of the best
    assert curve.stop < 400 and curve.param_line == f"--param max_iter={curve.stop}"
    # trained far past its best: the validation score at the end is worse and the gap wider than at the stop
    stop = curve.iterations.index(curve.stop)
    assert mean[-1] < mean[best]
    assert curve.train_mean[-1] - mean[-1] > curve.train_mean[stop] - mean[stop]
    # the replayed last iteration is the fold model the gap pass scored: no other fit was made
    np.testing.assert_allclose(test[:, -1], result.primary.test)


#: The data's 20 % flipped labels are allowed (the first-run noise rule would name them): these runs are about overfit.
NOISE_ALLOWED = {"noise": {"max_confident_error_ratio": 100}}


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("training-curve") / "noisy.csv"
    noisy_classification(n=600, flip=0.2, seed=1).to_csv(path, index=False)
    return path


def test_a_training_curve_run_reports_the_stopping_point_everywhere(data_csv, tmp_path):
    config = make_config(
        {"data": data_csv, "target": "label", "model": HGB, "params": PAST_ITS_BEST, "training_curve": True, "n_jobs": 1}
    )
    # the mean cost alone (cost_margin = 0): on these 600 rows the early-stopping point's advantage is within the
    # folds' noise of max_cost, and this test is about where the stopping point is reported, not about the margin
    result = run_check(config, policy=parse_policy({**NOISE_ALLOWED, "gap": {"cost_margin": 0}}))
    curve = result.evidence.training_curve
    assert curve is not None and curve.param_line is not None
    report = build_report(result)
    validate_report(report)
    section = report["training_curve"]
    assert section["param_line"] == f"--param max_iter={curve.stop}" and section["fitted_iterations"] == 400
    # 5 folds, and any repeats added while the gap's cost against the strong baseline was undecided
    assert len(section["folds"]) == result.evidence.gap.n_folds and len(section["points"]) == len(section["folds"][0]["test"])
    assert report["diagnosis"]["label"] == "overfit"
    assert report["diagnosis"]["mitigations"][0].startswith(f"Stop early: --param max_iter={curve.stop} ")
    paths = write_reports(report, tmp_path)
    assert f"- Training curve: {section['verdict']}" in paths["markdown"].read_text()
    html = paths["html"].read_text()
    assert 'id="training-curve"' in html and "Training curve: train and validation score at each iteration" in html
    assert json.loads(paths["json"].read_text())["training_curve"]["stopping_iteration"] == curve.stop


def test_a_model_that_cannot_replay_its_iterations_gets_a_skipped_section(data_csv):
    config = make_config(
        {"data": data_csv, "target": "label", "model": "sklearn.tree.DecisionTreeClassifier", "training_curve": True, "folds": 3}
    )
    result = run_check(config)
    report = build_report(result)
    validate_report(report)
    assert "DecisionTreeClassifier has neither staged predictions" in report["training_curve"]["skipped"]
    assert not any(m.startswith("Stop early") for m in report["diagnosis"]["mitigations"])
    assert "training_curve" not in result.evidence.errors


def test_without_the_option_there_is_no_training_curve_section(data_csv):
    config = make_config({"data": data_csv, "target": "label", "model": "sklearn.tree.DecisionTreeClassifier", "folds": 3})
    report = build_report(run_check(config))
    assert "training_curve" not in report


def test_recommend_after_a_training_curve_run_sweeps_without_redoing_curves_per_value(data_csv):
    from gapgates.pipeline.sweep import early_stopping_after, recommend_after

    params = {**PAST_ITS_BEST, "max_iter": 100}
    config = make_config(
        {
            "data": data_csv,
            "target": "label",
            "model": HGB,
            "params": params,
            "training_curve": True,
            "learning_curve": True,
            "folds": 3,
            "n_jobs": 1,
        }
    )
    # the recommendation follows a block for overfit: judged by the gap alone (3 folds leave the gap's cost against
    # the references inconclusive in the contextual mode, a warning)
    result = run_check(config, policy=parse_policy({"gap": {"mode": "absolute"}, **NOISE_ALLOWED}))
    assert result.diagnosis is not None and result.diagnosis.label == "overfit"
    assert early_stopping_after(result) is result.evidence.training_curve  # the run's own curve, not replayed again
    swept = recommend_after(result)  # the run's --training-curve and --learning-curve do not refuse the sweep
    assert swept is not None and swept.param == "max_iter" and len(swept.points) == 6
    assert all(p.run.evidence.training_curve is None and p.run.evidence.learning_curve is None for p in swept.points)


SGD = "sklearn.linear_model.SGDClassifier"


def test_an_epoch_models_training_curve_counts_against_the_fit_ceiling(data_csv):
    from gapgates.judge.policy import parse_policy
    from gapgates.pipeline.inputs import prepare
    from gapgates.pipeline.repeats import repeat_budget
    from tests.helpers import invoke

    common = ("check", "--data", data_csv, "--target", "label", "--model", SGD, "--training-curve")
    refused = invoke(*common, "--max-fits", 9)  # 5 folds + 5 epoch replays = 10 fits
    assert refused.exit_code == 2, refused.output
    [line] = refused.output.strip().splitlines()
    assert line == (
        "gapgates: error: The run would fit the model 10 times (5 folds × 1 repeats × (1 + 1 to train "
        "SGDClassifier again epoch by epoch for the training curve)), more than the limit of 9. Drop "
        "--training-curve, use fewer --folds or --repeats, or raise the limit with --max-fits 10."
    )
    assert invoke(*common, "--max-fits", 10).exit_code in (0, 1)
    # a boosting curve replays its fold models with no fit: the same ceiling is enough
    assert invoke(
        "check",
        "--data",
        data_csv,
        "--target",
        "label",
        "--model",
        HGB,
        "--param",
        "max_iter=20",
        "--training-curve",
        "--max-fits",
        5,
    ).exit_code in (0, 1)
    # each added repeat of k-fold is replayed too: it costs twice its folds
    policy = parse_policy({"gap": {"max_repeats": 10}, "baseline": {"models": []}})
    config = {"data": data_csv, "target": "label", "model": SGD, "max_fits": 40}
    assert repeat_budget(prepare(make_config({**config, "training_curve": True}), policy=policy)) == (40 - 10) // 10
    assert repeat_budget(prepare(make_config(config), policy=policy)) == (40 - 5) // 5
    # the strong baseline's three references cost 3 fits per fold too: 15 first, then 15 more per added repeat
    default = parse_policy({"gap": {"max_repeats": 10}})
    assert repeat_budget(prepare(make_config(config), policy=default)) == (40 - 5 - 15) // (5 + 15)


def test_the_early_stopping_settings_are_rechecked_as_check_would_judge_them(data_csv):
    from gapgates.pipeline.sweep import early_stopping_after, recheck_stopping, stopping_settings

    params = {**PAST_ITS_BEST, "max_iter": 150}
    config = make_config(
        {"data": data_csv, "target": "label", "model": HGB, "params": params, "folds": 3, "n_jobs": 1, "recommend": True}
    )
    result = run_check(
        config, policy=parse_policy({"gap": {"mode": "absolute"}, **NOISE_ALLOWED})
    )  # a block for overfit, as above
    assert result.diagnosis.label == "overfit"
    curve = early_stopping_after(result)
    assert curve is not None and curve.stop < 150  # trained far past its best iteration
    settings = stopping_settings(config, curve)
    assert settings == [{"max_iter": curve.stop}, {"early_stopping": True, "n_iter_no_change": 10}]
    checked = recheck_stopping(result, settings)
    for setting in checked:  # verified, not trusted: each is judged as its own gapgates check judges it
        alone = run_check(
            make_config({**config.model_dump(), "params": {**params, **setting.params}, "recommend": False}), policy=result.policy
        )
        assert setting.run.evidence.gap.primary.test == alone.evidence.gap.primary.test
        assert [(c.name, c.status) for c in setting.run.decision.checks] == [(c.name, c.status) for c in alone.decision.checks]
        assert setting.passed is (alone.decision.outcome.value == "promote")
    stopped = checked[0].run.evidence.gap.primary
    assert stopped.gap_mean < result.evidence.gap.primary.gap_mean  # stopping early narrows the gap
    assert checked[0].param_line == f"--param max_iter={curve.stop}"
    assert checked[1].param_line == "--param early_stopping=true --param n_iter_no_change=10"
