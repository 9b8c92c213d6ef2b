"""What the candidate is compared with besides its own folds: the scores of the references.

:func:`reference_scores` is one step of a run (see :mod:`gapgates.pipeline.run`): the dummy
baseline on the same folds, the final model fit on every training row and scored on the
holdout, and the registry's production model (the champion) scored on the same folds and
holdout. :func:`history_trend` compares the gap with the model's past runs; it needs the
gap, so :func:`gapgates.pipeline.run.decide` calls it. Failures are recorded as ``{step: message}``
(their checks fail), never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gapgates.data.splits import Splits
from gapgates.errors import GapGatesError, first_line
from gapgates.pipeline.inputs import Prepared

__all__ = ["References", "history_trend", "reference_scores"]


@dataclass(frozen=True, eq=False)
class References:
    """What the candidate is compared with besides its own folds.

    Attributes:
        baseline: The dummy baseline on the same folds, or None when it failed.
        holdout: Holdout scores of the final model, or None.
        model: The final model fit on every training row (when there is a holdout or a registry).
        champion: The production model scored on the same folds/holdout, or None without a registry.
        errors: ``{step: message}`` for the parts that failed (their checks fail).
    """

    baseline: Any
    holdout: Any
    model: Any
    champion: Any = None
    errors: dict[str, str] = field(default_factory=dict)


def reference_scores(prep: Prepared, splits: Splits) -> References:
    """Dummy baseline on the same folds, the final model (with a holdout or a registry) scored on the
    holdout, and the registry's production model (the champion) scored on the same folds and holdout.

    Failures are recorded in ``errors`` (their checks fail), never raised.
    """
    from gapgates.compute.baseline import baseline
    from gapgates.compute.holdout import fit_final, score_holdout

    train = prep.train
    errors: dict[str, str] = {}
    try:
        base = baseline(train.X, train.y, splits=splits, scoring=prep.metrics, classification=prep.classification)
    except Exception as err:  # recorded; its checks fail
        base, errors["performance"] = None, f"the dummy baseline could not be scored: {first_line(err)}"
    model = held = None
    if prep.holdout is not None or prep.config.registry is not None:
        try:
            model = fit_final(prep.estimator, train.X, train.y)
            if prep.holdout is not None:
                held = score_holdout(model, train.X, train.y, prep.holdout.X, prep.holdout.y, scoring=prep.metrics)
        except Exception as err:
            errors["gap"] = f"the final model could not be fit or scored: {first_line(err)}"
    champion = _champion(prep, splits, errors)
    return References(baseline=base, holdout=held, model=model, champion=champion, errors=errors)


def _champion(prep: Prepared, splits: Any, errors: dict[str, str]) -> Any:
    """The production model of ``config.registry`` scored on the same folds and holdout (None without a registry)."""
    from gapgates.compute.champion import no_champion, score_champion
    from gapgates.registry import open_registry

    registry, metric = prep.config.registry, prep.metrics[0]
    if registry is None:
        return None
    try:
        reg = open_registry(registry, model_name=prep.config.model_name)
        version = reg.production
        if version is None:
            return no_champion(metric, f"No production model in {registry} yet: this is the first candidate.")
        recorded = ((reg.info(version).metadata.get("gap") or {}).get(metric) or {}).get("gap_mean")
        hold = None if prep.holdout is None else (prep.holdout.X, prep.holdout.y)
        return score_champion(reg.load(version), prep.train.X, prep.train.y, splits=splits, metric=metric,
                              version=version, recorded_gap=recorded, holdout=hold)
    except Exception as err:  # a champion that cannot be loaded or scored blocks
        errors["champion"] = f"production in {registry} could not be scored: {first_line(err)}"
        return None


def history_trend(prep: Prepared, gap_result: Any, errors: dict[str, str]) -> Any:
    """The gap trend from the run history (None without a history); a broken history fails ``trend`` if judged."""
    from gapgates.compute.trend import load_trend

    path = prep.config.history_path
    if path is None:
        return None
    try:
        return load_trend(path, model=prep.config.model_name, metric=prep.metrics[0],
                          current=gap_result.primary.gap_mean, window=prep.policy.trend.window)
    except GapGatesError as err:
        if prep.policy.trend.max_gap_increase is not None:
            errors["trend"] = str(err)
        return None
