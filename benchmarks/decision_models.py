"""Model factories for ``bench_decisions.py``, loaded by gapgates as ``decision_models.py:NAME``.

gapgates leaves a user ``Pipeline`` alone (it owns its preprocessing), so a scaled model on a table
with text columns must encode them itself: every factory here scales the numeric columns and one-hot
encodes the others (``handle_unknown="ignore"``). On an all-numeric table that is exactly
``Pipeline(StandardScaler, model)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["linear_classifier", "linear_regressor", "one_nn_classifier", "one_nn_regressor"]


def _scaled(model: Any) -> Any:
    """``Pipeline(ColumnTransformer(StandardScaler on numbers, OneHotEncoder on the rest), model)``."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prepare = ColumnTransformer(
        [
            ("scale", StandardScaler(), make_column_selector(dtype_include="number")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False), make_column_selector(dtype_exclude="number")),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", model)])


def linear_classifier() -> Any:
    """Scaled logistic regression (``max_iter=1000``, otherwise defaults)."""
    from sklearn.linear_model import LogisticRegression

    return _scaled(LogisticRegression(max_iter=1000))


def linear_regressor() -> Any:
    """Scaled ridge regression (defaults)."""
    from sklearn.linear_model import Ridge

    return _scaled(Ridge())


def one_nn_classifier() -> Any:
    """Scaled 1-nearest-neighbour classifier: memorises every training row."""
    from sklearn.neighbors import KNeighborsClassifier

    return _scaled(KNeighborsClassifier(n_neighbors=1))


def one_nn_regressor() -> Any:
    """Scaled 1-nearest-neighbour regressor: memorises every training row."""
    from sklearn.neighbors import KNeighborsRegressor

    return _scaled(KNeighborsRegressor(n_neighbors=1))
