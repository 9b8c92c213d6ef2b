"""Resolving scikit-learn scoring names and checking the model can serve them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gapgates.errors import ConfigError, fix

__all__ = ["default_metrics", "resolve_scoring"]


def default_metrics(*, classification: bool) -> list[str]:
    """The metrics used when the policy lists none."""
    return ["accuracy"] if classification else ["r2"]


def resolve_scoring(names: Sequence[str] | Mapping[str, Any], estimator: Any) -> dict[str, Any]:
    """Map scoring names to sklearn scorers, refusing ones the estimator cannot serve.

    Args:
        names: sklearn scoring names, e.g. ``["accuracy", "roc_auc"]``, or ``{name: scoring name or scorer}``
            (a scorer is a callable ``scorer(estimator, X, y)``, as scikit-learn's ``cross_validate`` takes it).
        estimator: The estimator the scorers will be applied to.

    Returns:
        ``{name: scorer}`` in the given order. Each scorer is a
        :class:`~gapgates.data.guard.GuardedScorer`: on a guarded model whose output was invalid it
        scores NaN (the judge fails the gate on the recorded output) instead of raising.

    Raises:
        ConfigError: If a name is unknown, or a scorer needs ``predict_proba`` /
            ``decision_function`` that the estimator does not have.
    """
    from sklearn.metrics import get_scorer

    from gapgates.data.guard import GuardedScorer, calling

    if not names:
        raise ConfigError(
            "At least one metric is needed. "
            f"{fix('List sklearn scoring names in [gap] metrics', 'Pass sklearn scoring names as {metrics}')}."
        )
    scorers: dict[str, Any] = {}
    given = dict(names) if isinstance(names, Mapping) else {name: name for name in names}
    for name, spec in given.items():
        if not isinstance(name, str) or not (isinstance(spec, str) or callable(spec)):
            raise ConfigError(f"A metric must be an sklearn scoring name (a string) or a named scorer. Got {spec!r}.")
        try:
            scorer = get_scorer(spec)
        except ValueError:
            raise ConfigError(
                f"Unknown scoring name {spec!r}. Use an sklearn scoring name such as 'accuracy', 'roc_auc', 'r2' "
                "(see sklearn.metrics.get_scorer_names())."
            ) from None
        methods = getattr(scorer, "_response_method", "predict")
        methods = (methods,) if isinstance(methods, str) else tuple(methods)
        with calling(type(estimator).__name__, "the method check"):
            available = any(hasattr(estimator, m) for m in methods)
        if not available:
            raise ConfigError(
                f"The metric {name!r} needs {' or '.join(methods)}, which {type(estimator).__name__} does not have. "
                "Choose another metric or a model that provides it (e.g. SVC(probability=True))."
            )
        scorers[name] = GuardedScorer(scorer, name)
    return scorers
