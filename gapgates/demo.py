"""The bundled demo: scikit-learn's breast-cancer data, two candidates, one policy.

Everything is offline: the data ships with scikit-learn. The demo also leaves what the shipped deployments
(``deployments/prefect.yaml``, ``deployments/serve.py`` on ``deployments/gapgates.toml``) read: the
promoted ``scaled-logreg`` in ``registry/`` (:data:`REGISTERED`), the run history, and a batch of newly
labelled rows for the monitor (:func:`write_fresh_batch`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "CANDIDATES",
    "DEMO_POLICY_PATH",
    "FRESH_ROWS",
    "REGISTERED",
    "scaled_logistic_regression",
    "write_demo_data",
    "write_fresh_batch",
]

DEMO_POLICY_PATH = Path(__file__).with_name("policies") / "demo.toml"

#: Demo candidates: (name, model spec, params). The tree memorises, the scaled logistic regression generalises.
CANDIDATES: list[tuple[str, str, dict[str, Any]]] = [
    ("unbounded-tree", "sklearn.tree.DecisionTreeClassifier", {}),
    ("scaled-logreg", "gapgates.demo.scaled_logistic_regression", {}),
]


#: The candidate the demo registers and promotes in ``<out>/registry`` (deployments/gapgates.toml's model and registry).
REGISTERED = "scaled-logreg"

#: Rows in the demo's batch of newly labelled rows (``fresh.csv``).
FRESH_ROWS = 150


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


def write_fresh_batch(out: str | Path, *, rows: int = FRESH_ROWS, seed: int = 1) -> Path:
    """Write the demo's batch of newly labelled rows, ``fresh.csv``, which the ``production-monitor`` deployment
    scores production on: ``rows`` rows drawn (seeded) from the same breast-cancer data, standing in for what a
    labelling pipeline delivers.

    Args:
        out: The directory (created when missing).
        rows: How many rows.
        seed: The draw's seed.

    Returns:
        The file's path.
    """
    from sklearn.datasets import load_breast_cancer

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "fresh.csv"
    load_breast_cancer(as_frame=True).frame.sample(rows, random_state=seed).to_csv(path, index=False)
    return path
