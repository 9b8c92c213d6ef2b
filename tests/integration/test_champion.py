"""Champion vs challenger: production scored on the candidate's folds and holdout; both sides of each limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapgates.compute.champion import ChampionResult
from gapgates.config import make_config
from gapgates.data.scoring import resolve_scoring
from gapgates.enforcement import enforce
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.policy import parse_policy
from gapgates.judge.rules import evaluate
from gapgates.pipeline.definition import run_check
from gapgates.registry import LocalRegistry

LOGREG, TREE, DUMMY = (
    "sklearn.linear_model.LogisticRegression",
    "sklearn.tree.DecisionTreeClassifier",
    "sklearn.dummy.DummyClassifier",
)


def policy(**champion: float):
    limits = champion or {"max_regression": 0.01, "max_gap_increase": 0.05}
    return parse_policy(
        {"gap": {"max_gap": 0.9}, "noise": {"max_rate": 1.0, "max_confident_error_ratio": 100}, "champion": limits}
    )


def run(data: Path, model: str, registry: Path | None, *, pol=None, **extra):
    config = make_config({"data": data, "target": "label", "model": model, "folds": 3, "registry": registry, **extra})
    return run_check(config, policy=pol or policy())


def check(result, name):
    decision = getattr(result, "decision", result)
    return next(c for c in decision.checks if c.name == name)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """Older rows (the champion's training data) and newer rows of the same distribution."""
    from tests.helpers import noisy_classification

    frame = noisy_classification(600, flip=0.1)
    root = tmp_path_factory.mktemp("data")
    frame.iloc[:300].to_csv(root / "old.csv", index=False)
    frame.iloc[300:].to_csv(root / "new.csv", index=False)
    return root / "old.csv", root / "new.csv"


@pytest.fixture(scope="module")
def data(files) -> Path:
    return files[1]


@pytest.fixture(scope="module")
def champion_registry(tmp_path_factory, files) -> Path:
    """A registry whose production model is a logistic regression fit on the older rows."""
    root = tmp_path_factory.mktemp("reg") / "registry"
    first = run(files[0], LOGREG, root)
    assert first.decision.outcome is Outcome.PROMOTE, first.decision.reasons
    assert enforce(first, LocalRegistry(root), promote=True).promoted
    return root


def test_first_run_skips_with_reason(tmp_path, data):
    result = run(data, LOGREG, tmp_path / "empty")
    for name in ("champion_regression", "champion_gap_increase"):
        c = check(result, name)
        assert c.status is Status.SKIPPED and "first candidate" in c.message
    assert result.model is not None  # fit because a registry is given, though there is no holdout


def test_no_registry_skips_with_reason(data):
    result = run(data, LOGREG, None)
    assert check(result, "champion_regression").status is Status.SKIPPED
    assert "No registry" in check(result, "champion_regression").message
    assert result.model is None


def test_champion_is_scored_on_the_candidates_folds(data, champion_registry):
    result = run(data, TREE, champion_registry)
    champ = result.evidence.champion
    assert isinstance(champ, ChampionResult) and champ.version == "v1"
    prod = LocalRegistry(champion_registry).load()
    X, y = result.prepared.train.X, result.prepared.train.y
    scorer = resolve_scoring(["accuracy"], prod)["accuracy"]
    expected = [scorer(prod, X.iloc[test], y.iloc[test]) for _, test in result.evidence.gap.cv.splits]
    assert list(champ.test) == pytest.approx(expected) and len(champ.test) == 3
    assert champ.holdout is None
    assert "fold test rows" in check(result, "champion_regression").message


def test_regression_limit_both_sides(data, champion_registry):
    result = run(data, DUMMY, champion_registry)
    c = check(result, "champion_regression")
    assert c.status is Status.FAIL and c.value > 0.2  # a dummy is far worse than production
    assert result.decision.outcome is Outcome.BLOCK
    loose = evaluate(policy(max_regression=c.value + 0.001), result.evidence)
    assert loose.outcome is Outcome.PROMOTE and check(loose, "champion_regression").status is Status.PASS
    strict = evaluate(policy(max_regression=c.value - 0.001), result.evidence)
    assert check(strict, "champion_regression").status is Status.FAIL
    same = run(data, LOGREG, champion_registry)  # the same model refit on newer rows: no real drop
    assert abs(check(same, "champion_regression").value) < 0.05


def test_gap_increase_limit_both_sides(data, champion_registry):
    result = run(data, TREE, champion_registry)
    champ = result.evidence.champion
    recorded = LocalRegistry(champion_registry).info("v1").metadata["gap"]["accuracy"]["gap_mean"]
    assert champ.recorded_gap == pytest.approx(recorded)
    c = check(result, "champion_gap_increase")
    assert c.value == pytest.approx(result.evidence.gap.primary.gap_mean - recorded)
    assert c.status is Status.FAIL and c.value > 0.05  # an unbounded tree memorises
    passing = evaluate(policy(max_gap_increase=c.value + 0.001), result.evidence)
    assert check(passing, "champion_gap_increase").status is Status.PASS
    failing = evaluate(policy(max_gap_increase=c.value - 0.001), result.evidence)
    assert check(failing, "champion_gap_increase").status is Status.FAIL


def test_holdout_is_used_when_there_is_one(data, champion_registry):
    result = run(data, LOGREG, champion_registry, holdout_fraction=0.25)
    champ = result.evidence.champion
    assert champ.holdout is not None
    c = check(result, "champion_regression")
    assert "holdout" in c.message
    assert c.value == pytest.approx(champ.holdout - result.evidence.holdout.test["accuracy"])


def test_champion_without_recorded_gap_skips_gap_increase(tmp_path, files, data):
    reg = LocalRegistry(tmp_path / "reg")
    first = run(files[0], LOGREG, None, holdout_fraction=0.2)
    reg.promote(reg.register(first.model, name="x", metadata={}))
    result = run(data, LOGREG, tmp_path / "reg")
    c = check(result, "champion_gap_increase")
    assert c.status is Status.SKIPPED and "no recorded accuracy gap" in c.message
    assert check(result, "champion_regression").value is not None


def test_tampered_champion_blocks(tmp_path, data):
    reg = LocalRegistry(tmp_path / "reg")
    first = run(data, LOGREG, tmp_path / "reg")
    enforce(first, reg, promote=True)
    model_file = tmp_path / "reg" / "versions" / "v1" / "model.skops"
    raw = bytearray(model_file.read_bytes())
    raw[100] ^= 0xFF
    model_file.write_bytes(bytes(raw))
    result = run(data, LOGREG, tmp_path / "reg")
    assert "sha256" in result.evidence.errors["champion"]
    assert check(result, "champion_regression").status is Status.FAIL
    assert result.decision.outcome is Outcome.BLOCK
