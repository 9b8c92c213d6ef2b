"""One gate run from a :class:`~gapgates.config.CheckConfig`: load → split → compute → judge.

This is what ``gapgates check`` and the Prefect flow call. It computes and
judges; writing reports and promoting are separate steps (see
:mod:`gapgates.report`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gapgates.checks import Decision
from gapgates.config import CheckConfig
from gapgates.data import Dataset, check_classes, check_holdout_columns, load_table, make_dataset
from gapgates.decision import evaluate
from gapgates.errors import DataError, GapGatesError
from gapgates.evidence import Evidence
from gapgates.policy import Policy, load_policy, policy_hash

__all__ = ["Prepared", "RunResult", "prepare", "run_check"]


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
    """

    config: CheckConfig
    policy: Policy
    train: Dataset
    holdout: Dataset | None
    estimator: Any
    metrics: list[str]
    classification: bool
    fingerprint: str


@dataclass(frozen=True, eq=False)
class RunResult:
    """The outcome of one gate run.

    Attributes:
        name: Model name.
        decision: The verdict and its checks.
        evidence: Everything computed.
        prepared: The validated inputs.
        model: The final model fit on all training rows, or None when not fit.
        created: UTC time the run finished, ISO 8601.
        extra: Sections later steps add to the report (e.g. ``registry``).
    """

    name: str
    decision: Decision
    evidence: Evidence
    prepared: Prepared
    model: Any | None
    created: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def policy(self) -> Policy:
        """The policy the run was judged by."""
        return self.prepared.policy

    @property
    def policy_hash(self) -> str:
        """sha256 of the policy."""
        return policy_hash(self.prepared.policy)


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


def prepare(config: CheckConfig, *, policy: Policy | None = None) -> Prepared:
    """Load and validate everything a run needs; fit nothing.

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.

    Returns:
        The validated inputs.

    Raises:
        ConfigError: On usage errors (files, columns, model, metrics, folds).
        DataError: On data no model can be judged on.
    """
    from sklearn.base import is_classifier

    from gapgates.modelspec import build_model, encode_features, seed_estimator
    from gapgates.scoring import default_metrics, resolve_scoring
    from gapgates.splits import holdout_split

    policy = policy if policy is not None else load_policy(config.policy)
    table = load_table(config.data)
    data = make_dataset(table, config.target, group=config.group, time=config.time)
    holdout = None
    if config.holdout is not None:
        hold_table = load_table(config.holdout)
        check_holdout_columns(data.columns, hold_table)
        holdout = make_dataset(hold_table, config.target, group=config.group, time=config.time)
    estimator = seed_estimator(build_model(config.model, config.params), config.seed)
    classification = is_classifier(estimator)
    estimator = encode_features(estimator, data.X)
    metrics = list(policy.gap.metrics) or default_metrics(classification=classification)
    resolve_scoring(metrics, estimator)
    train = data
    if holdout is None and config.holdout_fraction is not None:
        train_rows, hold_rows = holdout_split(
            data.rows, config.holdout_fraction, y=data.y if classification else None,
            groups=data.groups, time=data.time, seed=config.seed,
        )
        train, holdout = _subset(data, train_rows), _subset(data, hold_rows)
    if config.folds > train.rows:
        raise DataError(f"The number of folds ({config.folds}) exceeds the training rows ({train.rows}). Use fewer --folds.")
    if classification:
        check_classes(train.y, n_splits=config.folds)
    return Prepared(
        config=config, policy=policy, train=train, holdout=holdout, estimator=estimator,
        metrics=metrics, classification=classification, fingerprint=data.fingerprint,
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _champion(prep: Prepared, splits: Any, errors: dict[str, str]) -> Any:
    """The production model of ``config.registry`` scored on the same folds and holdout (None without a registry)."""
    from gapgates.champion import no_champion, score_champion
    from gapgates.registry import open_registry

    registry, metric = prep.config.registry, prep.metrics[0]
    if registry is None:
        return None
    try:
        reg = open_registry(registry)
        version = reg.production
        if version is None:
            return no_champion(metric, f"No production model in {registry} yet: this is the first candidate.")
        recorded = ((reg.info(version).metadata.get("gap") or {}).get(metric) or {}).get("gap_mean")
        hold = None if prep.holdout is None else (prep.holdout.X, prep.holdout.y)
        return score_champion(reg.load(version), prep.train.X, prep.train.y, splits=splits, metric=metric,
                              version=version, recorded_gap=recorded, holdout=hold)
    except Exception as err:  # a champion that cannot be loaded or scored blocks
        errors["champion"] = f"production in {registry} could not be scored: {_first_line(err)}"
        return None


def run_check(
    config: CheckConfig, *, policy: Policy | None = None, progress: Callable[[int, int], None] | None = None
) -> RunResult:
    """Run the gate: cross-validated gap, baseline, holdout, then the policy decision.

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.
        progress: Called with ``(folds_done, folds_total)``.

    Returns:
        The decision with its evidence and the final model (fit when there is a holdout or a registry).

    Raises:
        ConfigError: On usage errors.
        DataError: On bad data, including data the model cannot be fit on.
    """
    from gapgates.baseline import baseline
    from gapgates.gap import gap
    from gapgates.holdout import fit_final, score_holdout
    from gapgates.splits import make_splits

    prep = prepare(config, policy=policy)
    train = prep.train
    splits = make_splits(
        train.X, train.y, classification=prep.classification, n_splits=config.folds, n_repeats=config.repeats,
        seed=config.seed, groups=train.groups, time=train.time,
    )
    try:
        gap_result = gap(
            prep.estimator, train.X, train.y, scoring=prep.metrics, splits=splits,
            confidence=prep.policy.gap.confidence, n_jobs=config.n_jobs, progress=progress,
        )
    except GapGatesError:
        raise
    except (ValueError, TypeError) as err:
        raise DataError(f"Fitting {config.model_name} on the data failed: {_first_line(err)}") from err
    errors: dict[str, str] = {}
    try:
        base = baseline(train.X, train.y, splits=splits, scoring=prep.metrics, classification=prep.classification)
    except Exception as err:  # recorded; its checks fail
        base, errors["performance"] = None, f"the dummy baseline could not be scored: {_first_line(err)}"
    model = held = None
    if prep.holdout is not None or config.registry is not None:
        try:
            model = fit_final(prep.estimator, train.X, train.y)
            if prep.holdout is not None:
                held = score_holdout(model, train.X, train.y, prep.holdout.X, prep.holdout.y, scoring=prep.metrics)
        except Exception as err:
            errors["gap"] = f"the final model could not be fit or scored: {_first_line(err)}"
    champion = _champion(prep, splits, errors)
    evidence = Evidence(gap=gap_result, baseline=base, holdout=held, champion=champion, errors=errors)
    decision = evaluate(prep.policy, evidence)
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return RunResult(
        name=config.model_name, decision=decision, evidence=evidence, prepared=prep, model=model, created=created
    )
