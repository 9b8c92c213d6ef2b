"""The bundled demo: scikit-learn's breast-cancer data, two candidates, one policy.

Everything is offline: the data ships with scikit-learn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["CANDIDATES", "DEMO_POLICY_PATH", "scaled_logistic_regression", "write_demo_data"]

DEMO_POLICY_PATH = Path(__file__).with_name("policies") / "demo.toml"

#: Demo candidates: (name, model spec, params). The tree memorises, the scaled logistic regression generalises.
CANDIDATES: list[tuple[str, str, dict[str, Any]]] = [
    ("unbounded-tree", "sklearn.tree.DecisionTreeClassifier", {}),
    ("scaled-logreg", "gapgates.demo.scaled_logistic_regression", {}),
]


def scaled_logistic_regression() -> Any:
    """``StandardScaler → LogisticRegression``: the demo's well-behaved candidate."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def write_demo_data(out: str | Path) -> Path:
    """Write breast-cancer data (569 rows, 30 features, ``target``) as CSV and return its path.

    Args:
        out: The directory (created when missing).
    """
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "breast_cancer.csv"
    frame.to_csv(path, index=False)
    return path
