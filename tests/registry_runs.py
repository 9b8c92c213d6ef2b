"""Real gate runs shared by the registry tests: one that promotes, one that blocks."""

from __future__ import annotations

from pathlib import Path

from gapgates.config import make_config
from gapgates.judge.policy import parse_policy
from gapgates.pipeline.definition import run_check
from gapgates.pipeline.steps import RunResult

LOGREG = "sklearn.linear_model.LogisticRegression"
PERMISSIVE = {"gap": {"max_gap": 0.9}, "noise": {"max_rate": 1.0}}  # noisy data: judge the gap only
STRICT = {"gap": {"max_gap": 0.0001}}


def gate_run(data: Path, scratch: Path, policy: dict, *, model: str = LOGREG) -> RunResult:
    """Run the gate with a registry option set (so the final model is fit), on 3 folds."""
    config = make_config({"data": data, "target": "label", "model": model, "folds": 3, "registry": scratch})
    return run_check(config, policy=parse_policy(policy))


def write_noisy(path: Path, n: int = 300) -> Path:
    """A small noisy classification CSV (target ``label``)."""
    from tests.conftest import noisy_classification

    noisy_classification(n, flip=0.1).to_csv(path, index=False)
    return path
