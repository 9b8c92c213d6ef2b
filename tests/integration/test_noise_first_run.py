"""Label noise on a first run (no registry, no history): random flips are named ``noise`` by the spread of their
contradictions (``label_noise:confident``), the same table clean is not; real cleanlab, real scikit-learn."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from gapgates.config import make_config
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.policy import parse_policy
from gapgates.measurements.noise import confident_view
from gapgates.pipeline.definition import run_check

MODELS = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
"""


pytestmark = pytest.mark.usefixtures("one_native_thread")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("noise_first_run")
    (root / "models.py").write_text(MODELS)
    cancer = load_breast_cancer(as_frame=True).frame
    cancer.to_csv(root / "clean.csv", index=False)
    flipped = cancer.copy()
    rows = np.random.default_rng(0).choice(len(cancer), size=round(0.10 * len(cancer)), replace=False)
    flipped.loc[rows, "target"] = 1 - flipped.loc[rows, "target"]
    flipped.to_csv(root / "flipped.csv", index=False)
    return root


def _run(files: Path, data: str):
    return run_check(make_config({"data": files / data, "target": "target", "model": f"{files / 'models.py'}:scaled_lr"}))


def _check(result, name: str):
    return next(c for c in result.decision.checks if c.name == name)


def test_ten_percent_flipped_labels_on_a_first_run_are_blocked_as_noise(files):
    result = _run(files, "flipped.csv")
    confident = _check(result, "label_noise:confident")
    assert confident.status is Status.FAIL and confident.value > confident.limit
    assert _check(result, "label_noise:increase").status is Status.SKIPPED  # no reference: a first run
    assert result.decision.outcome is Outcome.BLOCK
    assert result.diagnosis.label == "noise"
    assert "rows the reference" in result.diagnosis.explanation  # the strong baseline's view (the default policy)
    c = result.evidence.noise.confident
    assert c.confident_rate == pytest.approx(0.10, abs=0.04)  # the flips, found among the surest rows


def test_the_same_table_clean_is_not_blocked_as_noise(files):
    result = _run(files, "clean.csv")
    confident = _check(result, "label_noise:confident")
    assert confident.status is Status.PASS and confident.value < confident.limit
    assert result.diagnosis.label != "noise"
    assert result.decision.outcome is Outcome.PROMOTE


@pytest.fixture(scope="module")
def iris_flipped(tmp_path_factory) -> Path:
    """Real iris (150 rows) with 10 % of its labels flipped to another class, as the decision benchmark's first iris
    case flips them."""
    from benchmarks.bench_decisions import FAULTS, flip_labels
    from benchmarks.real_tables import TABLES

    table = TABLES["iris"]()
    frame = flip_labels(table.frame, table.target, 0.10, np.random.default_rng([0, FAULTS.index("flip10")]))
    path = tmp_path_factory.mktemp("iris_flipped") / "iris.csv"
    frame.to_csv(path, index=False)
    return path


def test_flips_a_memorising_model_hides_are_found_by_the_references(iris_flipped):
    """HistGradientBoosting without early stopping fits the flipped labels of iris: none of them is left among its own
    surest rows (ratio 0). The strong baseline's references do not memorise them (the linear model shows them among
    its surest rows as often as anywhere), so the first run is blocked as noise; with the strong baseline off, the
    rule falls back to the model's own view and passes."""
    config = make_config({"data": iris_flipped, "target": "target", "model": "sklearn.ensemble.HistGradientBoostingClassifier"})
    result = run_check(config)
    own = result.evidence.noise.confident
    view, whose = confident_view(result.evidence)
    confident = _check(result, "label_noise:confident")
    assert own.ratio < confident.limit < view.ratio and whose.startswith("the reference")
    assert confident.status is Status.FAIL and confident.value == view.ratio
    assert result.decision.outcome is Outcome.BLOCK and result.diagnosis.label == "noise"
    assert {r.name for r in result.evidence.strong_baseline.references if r.confident is not None} == {"hgb", "linear", "forest"}

    from gapgates.format import fmt
    from gapgates.report.build import build_report, render_markdown
    from gapgates.report.html import render_html
    from gapgates.report.schema import validate_report

    report = build_report(result)
    validate_report(report)
    older = copy.deepcopy(report)  # a report.json written before the references' views: still valid
    for reference in older["strong_baseline"]["references"]:
        del reference["confident"]
    validate_report(older)
    markdown, html = render_markdown(report), render_html(report)
    references = result.evidence.strong_baseline.references
    for who, c in (("the model", own), *((f"reference {r.name}", r.confident) for r in references)):
        row = f"| {who} | {c.confident_rows} | {fmt(c.confident_rate)} | {fmt(c.error_rate)} | {fmt(c.ratio)} |"
        assert row in markdown, row
    assert html.count('<table id="noise-confident">') == 1 and ">reference linear</th>" in html

    alone = run_check(config, policy=parse_policy({"baseline": {"models": []}}))
    assert confident_view(alone.evidence) == (alone.evidence.noise.confident, "the model")
    assert _check(alone, "label_noise:confident").status is Status.PASS
