"""Adaptive repeats: more repeats of k-fold while a gated interval straddles its limit.

A model whose gap is within one interval width of a limit gets a decision the fold seed picks:
the 5-fold interval's upper bound lands on either side of ``max_gap``. So after the configured
folds are fitted, :func:`repeat_until_decided` asks :func:`gapgates.judge.straddles.undecided`
whether a gated interval straddles its limit; while one does and ``[gap] max_repeats`` allows,
it fits one more repeat of k-fold (the next repeat of ``RepeatedStratifiedKFold``/``RepeatedKFold``
with the run's seed, :func:`gapgates.data.splits.repeat_splits`), keeps every fold already fitted,
and recomputes the interval over all ``J = k × r`` folds. A run that adds repeats fits exactly
the folds of ``--repeats r`` with the same seed.

The library (:func:`gapgates.pipeline.steps.compute_gap`, one ``cross_validate`` pass per repeat)
and the Prefect flow (:func:`gapgates.flows.tasks.cross_validate`, one ``fit-fold`` task per fold)
both run this loop; they differ only in how a batch of folds is fitted.

In the gap's contextual mode a gap over its limit whose cost against the strong baseline is still inconclusive
adds repeats too (:func:`gapgates.judge.straddles.undecided_costs`; the strong baseline's fits on the added folds
count against the same ceiling).

No repeats are added with a group column (``GroupKFold`` has no seed: another repeat is the same
folds) or a time column (``TimeSeriesSplit`` has one order), nor with ``max_repeats = 0``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gapgates.compute.crossval import AdaptiveRepeats, GapResult, Straddle, merge_gaps
from gapgates.data.splits import Splits, repeat_splits
from gapgates.judge.straddles import undecided, undecided_costs
from gapgates.pipeline.inputs import Prepared, planned_fits, replay_fits

__all__ = ["FitFolds", "repeat_budget", "repeat_until_decided"]

#: Fits a batch of folds and returns their gap: ``fit(splits, first_index)``; ``first_index`` is the
#: position of the batch's first fold among all the run's folds.
FitFolds = Callable[[Splits, int], GapResult]


def repeat_budget(prep: Prepared) -> int:
    """How many repeats of k-fold a run may add.

    ``[gap] max_repeats``, capped so the added fits (``folds`` each, twice that when the training curve trains an
    MLP/SGD again epoch by epoch: :func:`~gapgates.pipeline.inputs.replay_fits`, plus one per strong-baseline
    model and fold: :func:`~gapgates.measurements.strong_baseline.baseline_fits`) keep the run within its fit
    ceiling (``max_fits``, ``--max-fits``) with the strong baseline's fits on the configured folds counted first;
    0 with a group or time column.
    """
    if prep.train.groups is not None or prep.train.time is not None:
        return 0
    from gapgates.measurements.strong_baseline import baseline_fits

    config = prep.config
    per_repeat = config.folds * (1 + replay_fits(config, prep.estimator)) + baseline_fits(prep.policy, config.folds)
    planned = planned_fits(config, prep.estimator) + baseline_fits(prep.policy, config.folds * config.repeats)
    within_ceiling = max(0, config.max_fits - planned) // per_repeat
    return min(prep.policy.gap.max_repeats, within_ceiling)


def _undecided(prep: Prepared, result: GapResult, most_folds: int) -> tuple[tuple[Straddle, ...], int]:
    """The gated intervals straddling their limit, then (contextual mode) the gap costs the folds cannot settle yet:
    the strong baseline is scored on the same folds here (cached: the references step reuses it); and the fits that
    scoring made."""
    from gapgates.measurements import Context
    from gapgates.measurements.strong_baseline import STRONG_BASELINE

    found = undecided(prep.policy, result)
    if prep.policy.gap.mode != "contextual" or STRONG_BASELINE.compute is None:
        return found, 0
    try:
        strong = STRONG_BASELINE.compute(Context(prep=prep, gap=result))
    except Exception:  # the references step records the failure; no repeat is spent on it
        return found, 0
    fits = 0 if strong is None else strong.fits
    return found + undecided_costs(prep.policy, result, strong, most_folds=most_folds), fits


def repeat_until_decided(prep: Prepared, splits: Splits, fit: FitFolds) -> GapResult:
    """Fit the configured folds, then one more repeat of k-fold at a time while a gated interval
    straddles its limit and the budget allows.

    Args:
        prep: The validated inputs (policy, config, training rows).
        splits: The configured folds (:func:`gapgates.pipeline.steps.make_folds`).
        fit: Fits a batch of folds (see :data:`FitFolds`).

    Returns:
        The gap over every fitted fold; its ``repeats`` says how many repeats were added and why
        (None when the run cannot add any).
    """
    result = fit(splits, 0)
    budget = repeat_budget(prep)
    if budget == 0:
        return result
    config, train = prep.config, prep.train
    most = config.folds * (config.repeats + budget)
    straddled, reference_fits = _undecided(prep, result, most)
    pending = straddled
    added = 0
    while pending and added < budget:
        folds = repeat_splits(
            train.X,
            train.y,
            classification=prep.classification,
            n_splits=config.folds,
            seed=config.seed,
            repeat=config.repeats + added,
        )
        result = merge_gaps(result, fit(folds, result.n_folds))
        added += 1
        pending, fits = _undecided(prep, result, most)
        reference_fits += fits
    record = AdaptiveRepeats(
        folds=config.folds,
        configured=config.repeats,
        added=added,
        budget=budget,
        straddled=straddled,
        unresolved=tuple(s.check for s in pending),
        reference_fits=reference_fits,
    )
    return replace(result, repeats=record)
