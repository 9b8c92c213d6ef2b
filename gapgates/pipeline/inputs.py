"""The inputs of a run: load them, then validate them (the data-quality gate) before any fit.

Two steps, so an orchestrator can run each as its own task::

    inputs = load_inputs(config)      # files, columns, model, metrics: usage errors come here
    prep = validate_inputs(inputs)    # Great Expectations, then the dataset, holdout and folds checks
    if prep.blocked: ...              # the data failed a critical expectation: fit nothing

:func:`prepare` does both.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapgates.config import LEARNING_CURVE_FITS, CheckConfig
from gapgates.data.tables import (
    Dataset,
    check_classes,
    check_holdout_columns,
    check_labels,
    check_numbers,
    load_table,
    make_dataset,
    raw_dataset,
    require_columns,
)
from gapgates.errors import ConfigError, DataError, GapGatesError, first_line
from gapgates.judge.policy import Policy, load_policy
from gapgates.pipeline.outputs import check_outputs
from gapgates.quality.result import QualityResult

__all__ = [
    "Inputs",
    "Prepared",
    "check_inputs",
    "load_inputs",
    "planned_fits",
    "prepare",
    "replay_fits",
    "validate_inputs",
    "with_params",
]

#: How messages name the ``--holdout`` file (the data file is "Data file").
HOLDOUT_FILE = "Holdout file (--holdout)"


@dataclass(frozen=True, eq=False)
class Inputs:
    """What a run reads, before the data is validated.

    Attributes:
        config: The options.
        policy: The policy.
        table: The ``--data`` table as read (the index is the 0-based row position in the file).
        holdout_table: The ``--holdout`` table as read, or None.
        estimator: The unfitted estimator, with its seed applied (features not yet encoded).
        metrics: Scoring names, primary first.
        classification: Whether the estimator is a classifier.
    """

    config: CheckConfig
    policy: Policy
    table: pd.DataFrame
    holdout_table: pd.DataFrame | None
    estimator: Any
    metrics: list[str]
    classification: bool


@dataclass(frozen=True, eq=False)
class Prepared:
    """Validated inputs of a run, before any model is fit.

    Attributes:
        config: The options.
        policy: The policy.
        train: Training rows (the index keeps 0-based positions in ``--data``).
        holdout: Holdout rows (from ``--holdout`` or ``holdout_fraction``), or None.
        estimator: The unfitted estimator, with encoding and seeds applied.
        metrics: Scoring names, primary first.
        classification: Whether the estimator is a classifier.
        fingerprint: sha256 of the ``--data`` table.
        quality: The data-quality result (:class:`gapgates.quality.QualityResult`), or None.
        quality_error: Why the quality step could not run, or None.
        lumped: The text columns whose rarest values share one encoded column, with their number of values
            (:func:`gapgates.data.model.lumped_columns`).
    """

    config: CheckConfig
    policy: Policy
    train: Dataset
    holdout: Dataset | None
    estimator: Any
    metrics: list[str]
    classification: bool
    fingerprint: str
    quality: QualityResult | None = None
    quality_error: str | None = None
    lumped: dict[str, int] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        """True when ``[quality] required`` and the data failed a critical expectation (or could not be checked)."""
        return _quality_blocks(self.policy, self.quality, self.quality_error)


def _quality_blocks(policy: Policy, quality: QualityResult | None, quality_error: str | None) -> bool:
    """Whether the data-quality result stops the run before any fit."""
    if not policy.quality.required:
        return False
    return quality_error is not None or (quality is not None and quality.critical)


def load_inputs(config: CheckConfig, policy: Policy | None = None) -> Inputs:
    """Read the policy, the data and the holdout, check the columns, build the model, resolve the metrics.

    Runs no data-quality check and fits nothing.

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.

    Returns:
        The inputs, ready for :func:`validate_inputs`.

    Raises:
        ConfigError: On usage errors (outputs that cannot be written, policy, files, columns, model, metrics).

    Example:
        >>> config = CheckConfig(data="d.csv", target="y", model="sklearn.tree.DecisionTreeClassifier")
        >>> inputs = load_inputs(config)  # doctest: +SKIP
        >>> inputs.metrics  # doctest: +SKIP
        ['accuracy', 'roc_auc']
    """
    check_outputs(config)  # before anything is read or fit
    policy = policy if policy is not None else load_policy(config.policy)
    _check_cache(policy)
    table = load_table(config.data)
    require_columns(table, config.target, group=config.group, time=config.time)
    hold_table = load_table(config.holdout, what=HOLDOUT_FILE) if config.holdout is not None else None
    estimator, classification, metrics = _model(config, policy)
    return Inputs(
        config=config,
        policy=policy,
        table=table,
        holdout_table=hold_table,
        estimator=estimator,
        metrics=metrics,
        classification=classification,
    )


def check_inputs(config: CheckConfig) -> None:
    """The checks of :func:`load_inputs` that need only the files' headers, in the same order.

    Cheap at any data size: ``gapgates run`` calls it before it starts Prefect, so bad
    options fail in one line at once instead of inside a flow run.

    Raises:
        ConfigError: On usage errors (policy, files, columns, model, metrics).
    """
    check_outputs(config)
    policy = load_policy(config.policy)
    _check_cache(policy)
    header = load_table(config.data, header_only=True)
    require_columns(header, config.target, group=config.group, time=config.time)
    if config.holdout is not None:
        load_table(config.holdout, header_only=True, what=HOLDOUT_FILE)
    _model(config, policy)


def _check_cache(policy: Policy) -> None:
    """A run that scores the strong baseline checks ``GAPGATES_CACHE_DIR`` before it reads data or fits anything.

    Raises:
        ConfigError: The directory cannot be used (:func:`gapgates.compute.disk_cache.cache_dir`).
    """
    if policy.baseline.models:
        from gapgates.compute.disk_cache import cache_dir

        cache_dir()


def _model(config: CheckConfig, policy: Policy) -> tuple[Any, bool, list[str]]:
    """The seeded estimator, whether it classifies, and the metrics it is scored by (checked)."""
    from gapgates.data.guard import model_kind
    from gapgates.data.scoring import default_metrics, resolve_scoring

    estimator = _estimator(config)
    kind = model_kind(estimator)
    if kind is None:
        raise ConfigError(
            f"Model {config.model_name} does not say whether it is a classifier or a regressor. Inherit "
            "sklearn.base.ClassifierMixin or RegressorMixin before BaseEstimator (or set _estimator_type)."
        )
    classification = kind == "classifier"
    metrics = list(policy.gap.metrics) or default_metrics(classification=classification)
    resolve_scoring(metrics, estimator)
    fits = planned_fits(config, estimator)
    if fits > config.max_fits:  # the config counted the rest; the epochs' replay needs the model
        raise ConfigError(
            f"The run would fit the model {fits:,} times ({config.folds} folds × {config.repeats} repeats × (1 + 1 "
            f"to train {config.model_name} again epoch by epoch for the training curve"
            f"{f' + {LEARNING_CURVE_FITS} for the learning curve' if config.learning_curve else ''})), more than the "
            f"limit of {config.max_fits:,}. Drop --training-curve, use fewer --folds or --repeats, or raise the "
            f"limit with --max-fits {fits}."
        )
    return estimator, classification, metrics


def _estimator(config: CheckConfig) -> Any:
    """The config's model with its parameters, the boosting libraries' quiet and safe defaults
    (:func:`gapgates.data.libraries.native_defaults`; ``verbose`` keeps their log) and the run's seed."""
    from gapgates.data.libraries import native_defaults
    from gapgates.data.model import build_model, seed_estimator

    estimator = build_model(config.model, config.params, name=config.model_name)
    return seed_estimator(native_defaults(estimator, given=config.params, verbose=config.verbose), config.seed)


def replay_fits(config: CheckConfig, estimator: Any) -> int:
    """Fits per fitted fold that the training curve adds: 1 for a model trained by epochs (MLP/SGD, trained again
    with ``partial_fit``: :func:`gapgates.compute.training_curve.replays_epochs`), else 0 (boosting replays its
    fold models with no fit). It replays every fold the gap pass fitted, added repeats included."""
    from gapgates.compute.training_curve import replays_epochs

    return 1 if config.training_curve and replays_epochs(estimator) else 0


def planned_fits(config: CheckConfig, estimator: Any) -> int:
    """Model fits of the run before any repeat is added: the config's (folds × repeats, × 6 with the learning
    curve) and the training curve's epochs (:func:`replay_fits` per fold)."""
    return config.planned_fits + config.folds * config.repeats * replay_fits(config, estimator)


def validate_inputs(inputs: Inputs) -> Prepared:
    """Run the data-quality gate (Great Expectations), then build the datasets and check them for a fit.

    When ``[quality] required`` and the data fails a critical expectation (or GX cannot run),
    returns at once a :class:`Prepared` whose :attr:`~Prepared.blocked` is True: nothing else
    is checked and no model may be fit.

    Args:
        inputs: What :func:`load_inputs` read.

    Returns:
        The validated inputs.

    Raises:
        ConfigError: If the policy's suite file is missing or invalid, or the holdout's columns differ.
        DataError: On data no model can be judged on (too few rows for the folds, classes too small).
    """
    from gapgates.data.model import encode_features, lumped_columns
    from gapgates.data.splits import holdout_split

    config, policy, table = inputs.config, inputs.policy, inputs.table
    common = functools.partial(
        Prepared, config=config, policy=policy, metrics=inputs.metrics, classification=inputs.classification
    )
    quality, quality_error = _quality(config, policy, table, inputs.holdout_table, classification=inputs.classification)
    if _quality_blocks(policy, quality, quality_error):
        raw = raw_dataset(table, config.target, group=config.group, time=config.time)
        return common(  # fail fast: nothing more is checked and no model is fit
            train=raw,
            holdout=None,
            estimator=inputs.estimator,
            fingerprint=raw.fingerprint,
            quality=quality,
            quality_error=quality_error,
        )
    data = make_dataset(table, config.target, group=config.group, time=config.time)
    if inputs.classification:
        check_labels(data.y, model=config.model_name)
    else:
        check_numbers(data.y, model=config.model_name)
    holdout = None
    if inputs.holdout_table is not None:
        check_holdout_columns(data.columns, inputs.holdout_table)
        holdout = make_dataset(inputs.holdout_table, config.target, group=config.group, time=config.time)
        if not inputs.classification:
            check_numbers(holdout.y, model=config.model_name, what="The holdout's target")
    estimator = encode_features(inputs.estimator, data.X, data.y if inputs.classification else None)
    train = data
    if holdout is None and config.holdout_fraction is not None:
        train_rows, hold_rows = holdout_split(
            data.rows,
            config.holdout_fraction,
            y=data.y if inputs.classification else None,
            groups=data.groups,
            time=data.time,
            seed=config.seed,
        )
        train, holdout = _subset(data, train_rows), _subset(data, hold_rows)
    if config.folds > train.rows:
        raise DataError(f"The number of folds ({config.folds}) exceeds the training rows ({train.rows}). Use fewer --folds.")
    if inputs.classification:
        check_classes(train.y, n_splits=config.folds)
    _check_test_rows(inputs.metrics, rows=train.rows, config=config)
    return common(
        train=train,
        holdout=holdout,
        estimator=estimator,
        fingerprint=data.fingerprint,
        quality=quality,
        lumped=lumped_columns(inputs.estimator, train.X),
    )


#: Scores a single test row leaves undefined (scikit-learn returns NaN): each compares the errors with the test rows'
#: own spread.
ONE_ROW_UNDEFINED = ("r2", "explained_variance", "d2_absolute_error_score", "d2_brier_score", "d2_log_loss_score")


def _check_test_rows(metrics: Sequence[str], *, rows: int, config: CheckConfig) -> None:
    """Refuse folds that test a single row when a metric needs two (r² of one row is undefined: NaN on every fold,
    which the gate would blame on the model). Grouped folds are left out: their sizes follow the groups."""
    if config.group is not None:
        return
    smallest = rows // (config.folds + 1) if config.time is not None else rows // config.folds
    undefined = [m for m in metrics if m in ONE_ROW_UNDEFINED]
    if undefined and smallest < 2:
        most = rows // 2 - (1 if config.time is not None else 0)
        raise DataError(
            f"The metric {undefined[0]!r} needs at least 2 test rows per fold, and {config.folds} folds of {rows} rows "
            f"test {smallest}. Use --folds {most} or fewer."
        )


def prepare(config: CheckConfig, *, policy: Policy | None = None) -> Prepared:
    """Load and validate everything a run needs; fit nothing (:func:`load_inputs` then :func:`validate_inputs`).

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.

    Returns:
        The validated inputs.

    Raises:
        ConfigError: On usage errors (files, columns, model, metrics, folds).
        DataError: On data no model can be judged on.
    """
    return validate_inputs(load_inputs(config, policy=policy))


def with_params(prep: Prepared, params: dict[str, Any], *, max_fits: int | None = None) -> Prepared:
    """The same validated inputs with other estimator parameters: no file is read and no data checked again.

    What a capacity sweep runs once per value. The estimator is built, seeded and encoded as
    :func:`load_inputs` and :func:`validate_inputs` build it, from ``config.params`` updated with ``params``.

    Args:
        prep: Validated inputs.
        params: Parameters set over the config's (``{"max_depth": 3}``).
        max_fits: A fit ceiling for this run instead of the config's (a sweep shares its ceiling out).

    Returns:
        Inputs whose config and estimator carry the parameters.

    Raises:
        ConfigError: If a parameter is unknown to the estimator.
    """
    from gapgates.data.model import encode_features

    config = prep.config
    update: dict[str, Any] = {"params": {**config.params, **params}}
    if max_fits is not None:
        update["max_fits"] = max_fits
    config = config.model_copy(update=update)
    labels = prep.train.y if prep.classification else None
    return replace(prep, config=config, estimator=encode_features(_estimator(config), prep.train.X, labels))


def _subset(ds: Dataset, rows: np.ndarray) -> Dataset:
    return Dataset(
        X=ds.X.iloc[rows],
        y=ds.y.iloc[rows],
        target=ds.target,
        groups=None if ds.groups is None else ds.groups.iloc[rows],
        time=None if ds.time is None else ds.time.iloc[rows],
        fingerprint=ds.fingerprint,
        columns=ds.columns,
    )


def _quality(
    config: CheckConfig, policy: Policy, table: pd.DataFrame, holdout: pd.DataFrame | None, *, classification: bool
) -> tuple[QualityResult | None, str | None]:
    """Run the data-quality gate; an unexpected GX failure is returned as an error (it blocks)."""
    from gapgates.quality.gate import check_quality

    suite = policy.quality.suite
    if suite is not None and not Path(suite).is_absolute() and config.policy is not None:
        suite = str(Path(config.policy).parent / suite)
    columns = [c for c in (config.target, config.group, config.time) if c is not None]
    try:
        result = check_quality(
            table,
            target=config.target,
            section=policy.quality,
            columns=columns,
            holdout=holdout,
            classification=classification,
            suite_path=suite,
        )
    except GapGatesError:
        raise
    except Exception as err:  # a gate that errors must block, never pass
        return None, f"Great Expectations could not validate the data: {first_line(err)}"
    return result, None
