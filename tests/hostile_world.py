"""A small world for the hostile-input tests: data, policies, hostile model files, a registry with production.

:func:`build_world` makes it once (one real gate run promotes ``v1``); each test works on a copy
(:func:`copy_world`). :func:`snapshot` records every file, link and directory under the world, so a
test can prove that nothing was created, changed or removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

#: Limits loose enough that only what a case breaks can fail the gate (model_outputs has no limit).
LENIENT = """
[gap]
max_gap = 0.9
[performance]
min_gain_over_baseline = -1.0
[noise]
max_rate = 1.0
max_confident_error_ratio = 100
[leakage]
max_feature_score = 1.0
[champion]
max_regression = 1.0
"""

MODELS = '''
import os, sys, time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC


class RaiseFit(LogisticRegression):
    def fit(self, X, y):
        raise RuntimeError("boom in fit")


class ZeroDivFit(LogisticRegression):
    def fit(self, X, y):
        return 1 / 0


class KeyErrorFit(LogisticRegression):
    def fit(self, X, y):
        return {}["missing key"]


class MemoryFit(LogisticRegression):
    def fit(self, X, y):
        raise MemoryError()


class RecursionFit(LogisticRegression):
    def fit(self, X, y):
        return self.fit(X, y)


class ExitFit(LogisticRegression):
    def fit(self, X, y):
        sys.exit(0)


class ExitOneFit(LogisticRegression):
    def fit(self, X, y):
        sys.exit(1)


class OsExitFit(LogisticRegression):
    def fit(self, X, y):
        os._exit(0)


class InterruptFit(LogisticRegression):
    def fit(self, X, y):
        raise KeyboardInterrupt


class Sleeper(LogisticRegression):
    def fit(self, X, y):
        Path(os.environ["GAPGATES_TEST_MARKER"]).write_text("fitting")
        time.sleep(120)
        return super().fit(X, y)


class PredictRaises(LogisticRegression):
    def predict(self, X):
        raise ValueError("bad predict")


class ProbaRaises(LogisticRegression):
    def predict_proba(self, X):
        raise TypeError("bad proba")


class DecisionRaises(LinearSVC):
    def decision_function(self, X):
        raise ArithmeticError("bad decision")


class ScoreExit(LogisticRegression):
    def predict(self, X):
        sys.exit(3)


class GetParamsRaises(LogisticRegression):
    def get_params(self, deep=True):
        raise RuntimeError("no params for you")


class SetParamsRaises(LogisticRegression):
    def set_params(self, **params):
        raise RuntimeError("no set_params either")


class NeedsArgs(LogisticRegression):
    def __init__(self, required):
        self.required = required


def raising_factory():
    raise ZeroDivisionError("the factory divides by zero")


def not_an_estimator():
    return 42


class NanProba(LogisticRegression):
    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[:] = np.nan
        return proba


class NegativeProba(LogisticRegression):
    def predict_proba(self, X):
        return super().predict_proba(X) - 0.5


class UnnormalisedProba(LogisticRegression):
    def predict_proba(self, X):
        return super().predict_proba(X) * 0.5


class WideProba(LogisticRegression):
    def predict_proba(self, X):
        proba = super().predict_proba(X)
        return np.hstack([proba, proba[:, :1]])


class TextProba(LogisticRegression):
    def predict_proba(self, X):
        return np.full(super().predict_proba(X).shape, "x", dtype=object)


class InfProba(LogisticRegression):
    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[0, 0] = np.inf
        return proba


class ShortPredict(LogisticRegression):
    def predict(self, X):
        return super().predict(X)[:-1]


class NanRegressor(LinearRegression):
    def predict(self, X):
        return np.full(len(X), np.nan)


class InfDecision(LinearSVC):
    def decision_function(self, X):
        return np.full(len(X), np.inf)


class PlainCentroid(ClassifierMixin, BaseEstimator):
    """A BaseEstimator subclass without scikit-learn's private _parameter_constraints."""

    def __init__(self, shrink=0.0):
        self.shrink = shrink

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.classes_ = np.unique(y)
        self.centroids_ = np.array([X[y == c].mean(axis=0) for c in self.classes_]) * (1 - self.shrink)
        return self

    def predict_proba(self, X):
        d = ((np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        e = np.exp(-(d - d.min(axis=1, keepdims=True)))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class ThirdParty:
    """A third-party estimator: the estimator API, but no BaseEstimator and no scikit-learn tags."""

    _estimator_type = "classifier"

    def __init__(self, shrink=0.0):
        self.shrink = shrink

    def get_params(self, deep=True):
        return {"shrink": self.shrink}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        self.inner_ = PlainCentroid(self.shrink).fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict(self, X):
        return self.inner_.predict(X)

    def predict_proba(self, X):
        return self.inner_.predict_proba(X)
'''


def table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """The world's table: two informative columns, one of noise, a 0/1 target ``y``."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = ((a + 0.5 * b + rng.normal(scale=0.8, size=n)) > 0).astype(int)
    return pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n), "y": y})


def build_world(root: Path) -> Path:
    """Write the world into ``root`` and promote ``v1`` (a logistic regression) in ``root/registry``."""
    from gapgates.config import make_config
    from gapgates.gate import run_gate

    root.mkdir(parents=True, exist_ok=True)
    data = table()
    data.to_csv(root / "data.csv", index=False)
    data.assign(k=1.0).to_csv(root / "constant.csv", index=False)  # GaussianNB(var_smoothing=0): NaN probabilities
    regression = data.assign(y=data["a"] * 2 + data["b"])
    regression.to_csv(root / "regression.csv", index=False)
    (root / "lenient.toml").write_text(LENIENT)
    (root / "auc.toml").write_text(LENIENT.replace("[gap]\n", '[gap]\nmetrics = ["roc_auc"]\n'))
    (root / "models.py").write_text(MODELS)
    (root / "import_error.py").write_text("import gapgates_no_such_module_anywhere\n")
    (root / "syntax_error.py").write_text("def broken(:\n    pass\n")
    (root / "exit_on_import.py").write_text("import sys\nsys.exit(0)\n")
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text("a file outside the registry\n")
    config = make_config(
        {
            "data": root / "data.csv",
            "target": "y",
            "model": "sklearn.linear_model.LogisticRegression",
            "policy": root / "lenient.toml",
            "registry": root / "registry",
            "promote": True,
            "folds": 3,
            "name": "LogisticRegression",
        }
    )
    state = run_gate(config)
    assert state.committed is not None and state.committed.production == "v1", state.report["reasons"]
    return root


def copy_world(template: Path, target: Path) -> Path:
    """A private copy of the world (links copied as links)."""
    shutil.copytree(template, target, symlinks=True)
    return target


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: files by sha256, links by target, directories by name (bytecode caches left out)."""
    seen: dict[str, str] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                seen[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                seen[key] = "dir"
            else:
                seen[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What differs between two snapshots: added, removed and changed entries."""
    out = [f"added {k}" for k in sorted(set(after) - set(before))]
    out += [f"removed {k}" for k in sorted(set(before) - set(after))]
    out += [f"changed {k}" for k in sorted(k for k in set(before) & set(after) if before[k] != after[k])]
    return out


def model_file(name: str) -> str:
    """The ``--model`` text of a class in the world's models.py (relative to the world)."""
    return f"models.py:{name}"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()
