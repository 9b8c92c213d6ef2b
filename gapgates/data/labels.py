"""Class labels as users have them, for models that take only ``0..n-1``: encoded for the model, decoded out of it.

XGBoost's classifiers refuse any other labels (``yes``/``no``, ``True``/``False``, ``[3, 7]``).
:class:`EncodedLabels` holds such a model: it fits it on the codes of the sorted labels and answers with the
labels, so the fold models, every report, the out-of-fold predictions and the model a registry stores all speak
the user's labels (``classes_`` is the labels; ``predict_proba``'s columns are in their order).

Example:
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> model = EncodedLabels(DecisionTreeClassifier()).fit([[0], [1]], ["no", "yes"])
    >>> model.predict([[1]]).tolist(), model.estimator_.classes_.tolist()
    (['yes'], [0, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if

__all__ = ["EncodedLabels", "needs_codes"]


def needs_codes(y: Any) -> bool:
    """Whether class labels are anything but the integers ``0..n-1`` (booleans and text included).

    Example:
        >>> needs_codes([0, 1, 1]), needs_codes(["no", "yes"]), needs_codes([True, False]), needs_codes([1, 2])
        (False, True, True, True)
    """
    values = np.asarray(y)
    if values.dtype.kind not in "iu":
        return True
    classes = np.unique(values)
    return not np.array_equal(classes, np.arange(classes.size))


def _model_has(method: str) -> Any:
    def check(self: EncodedLabels) -> bool:
        return hasattr(self.estimator_ if hasattr(self, "estimator_") else self.estimator, method)

    return check


class EncodedLabels(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier fitted on label codes ``0..n-1`` that predicts the labels.

    Args:
        estimator: The classifier that takes only codes.

    Attributes:
        classes_: The labels, sorted; code ``i`` is ``classes_[i]``.
        estimator_: The fitted classifier (its ``classes_`` are the codes).
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, **fit_params: Any) -> EncodedLabels:
        """Fit the classifier on the codes of ``y``'s sorted labels."""
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.estimator_ = clone(self.estimator).fit(X, codes, **fit_params)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def decode(self, codes: Any) -> np.ndarray:
        """The labels of codes (a prediction of the fitted classifier)."""
        return self.classes_[np.asarray(codes).astype(int).reshape(-1)]

    def predict(self, X: Any) -> np.ndarray:
        """The predicted labels."""
        return self.decode(self.estimator_.predict(X))

    @available_if(_model_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, one column per label of ``classes_``."""
        return self.estimator_.predict_proba(X)

    @available_if(_model_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """The classifier's decision scores (columns in the order of ``classes_``)."""
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.non_deterministic = inner.non_deterministic
        return tags
