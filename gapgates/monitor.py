"""Production monitoring: the production version on fresh rows, drift, and ``ok`` / ``warn`` / ``retrain``.

One run of ``gapgates monitor``, in order (nothing is fit but the drift classifier; nothing is promoted):

1. read the policy, open the registry, find the production version of the model and its training
   sample (:mod:`gapgates.registry.sample`); check the fresh rows' columns against it;
2. validate the fresh rows with the same data-quality suites as the gate (:mod:`gapgates.quality`; a
   classifier's labels must be among the classes it was trained on);
3. load the version (checksum verified, skops' trusted types only) and score it on the fresh rows,
   per metric recorded at promotion, with an interval (:mod:`gapgates.compute.production`);
4. measure drift against the training sample (:mod:`gapgates.compute.drift`);
5. judge with ``[monitor]`` (:mod:`gapgates.judge.monitor`).

Fresh rows without the target column (or ``labels=False``) are monitored *without labels*: step 3 estimates the
scores from the model's own confidence instead (:mod:`gapgates.compute.estimate`: CBPE for classifiers, DLE
for regressors, from the out-of-fold outputs stored with the version), and ``[monitor] max_estimated_gap``
judges the estimated production gap. Each run names its *batch* (``batch``, a hash of an ``id_column``'s
values, or by default a hash of the feature columns), so a later run with the labels of the same rows is
matched with the earlier estimate (:func:`check_estimate`) and the history holds estimate vs actual.

:func:`monitor_report` shapes the ``report.json`` of a monitor run (``kind: "monitor"``, schema
``monitor.schema.json``); :func:`publish_monitor` writes it with ``report.md`` / ``report.html`` and
records its history row (kind ``monitor``: the decision and, per metric, the production gap and its interval).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.drift import DriftResult
from gapgates.compute.estimate import PerformanceEstimate
from gapgates.compute.production import ProductionScore
from gapgates.errors import ConfigError, DataError, RegistryError, UserCodeError
from gapgates.format import plain
from gapgates.judge.monitor import MonitorDecision
from gapgates.judge.policy import Policy
from gapgates.quality.result import QualityResult
from gapgates.registry.sample import TrainingSample

__all__ = [
    "CONCEPT_SHIFT_NOTE",
    "MONITOR_SCHEMA_VERSION",
    "MonitorResult",
    "check_estimate",
    "monitor_evidence",
    "monitor_report",
    "publish_monitor",
    "run_monitor",
]

MONITOR_SCHEMA_VERSION = "1.2"

#: Said with every label-free estimate.
CONCEPT_SHIFT_NOTE = (
    "This is an estimate, not a measurement: it assumes the chance of a right answer given the model's output (and "
    "its features, when the version stored them) is the same as in training. A concept shift (the same rows now "
    "having other labels) is invisible without labels; "
    "monitor the same batch again when its labels arrive."
)


@dataclass(frozen=True, eq=False)
class MonitorResult:
    """One monitor run, judged.

    Attributes:
        name: The model's name.
        registry: The registry location.
        version: The production version monitored.
        promoted_at: When it was last promoted (from the audit log), or None.
        created: When the run finished (ISO 8601, UTC).
        data: The fresh rows' file.
        fingerprint: sha256 of the fresh table.
        rows: Fresh rows.
        target: The target column.
        task: ``classification`` or ``regression``.
        primary_metric: The version's primary metric.
        scores: Per metric, the fresh score and the production gap.
        drift: Drift from the training sample.
        quality: The fresh rows' data-quality result.
        sample: The training sample of the version.
        decision: ok, warn or retrain, and the checks.
        policy: The policy judged by.
        estimate: The scores estimated without labels (a label-free run; ``scores`` is then empty), or None.
        batch: The batch's id: given, a hash of the id column's values, or a hash of the feature columns.
        batch_source: ``given``, ``ids`` or ``features``: where ``batch`` comes from.
    """

    name: str
    registry: str
    version: str
    promoted_at: str | None
    created: str
    data: str
    fingerprint: str
    rows: int
    target: str
    task: str
    primary_metric: str
    scores: tuple[ProductionScore, ...]
    drift: DriftResult
    quality: QualityResult | None
    sample: TrainingSample
    decision: MonitorDecision
    policy: Policy
    estimate: PerformanceEstimate | None = None
    batch: str | None = None
    batch_source: str = "features"

    @property
    def labelled(self) -> bool:
        """Whether the fresh rows had labels (scores measured, not estimated)."""
        return self.estimate is None


def _production(registry: Any, name: str) -> tuple[str, dict[str, Any], str | None]:
    """The production version of ``name``, its metadata and when it was promoted."""
    version = registry.production
    if version is None:
        raise RegistryError(
            f"The registry has no production version of model '{name}'. Promote one first (gapgates run ... --promote)."
        )
    info = registry.info(version)
    recorded = str(info.metadata.get("name") or info.name or "")
    if recorded and recorded != name:
        raise RegistryError(
            f"The registry's production model is '{recorded}', not '{name}'. Pass --model-name "
            f"{recorded}, or the registry of '{name}'."
        )
    promoted = [e.time for e in registry.audit() if e.action in {"promote", "rollback"} and e.version == version]
    return version, info.metadata, (promoted[-1] if promoted else None)


def _metrics(version: str, metadata: dict[str, Any]) -> tuple[list[str], dict[str, float | None]]:
    """The metrics recorded at promotion (primary first) and their cross-validated test scores."""
    gap = metadata.get("gap")
    if not isinstance(gap, dict) or not gap:
        raise RegistryError(
            f"Version {version} records no cross-validated test score, so there is no production gap "
            "to measure. Register it again through the gate (gapgates run ... --promote)."
        )
    primary = metadata.get("primary_metric")
    metrics = sorted(gap, key=lambda m: m != primary)
    promoted: dict[str, float | None] = {}
    for m, v in gap.items():
        value = v.get("test_mean") if isinstance(v, dict) else None
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise RegistryError(
                f"Version {version} records a test score for {str(m)[:80]!r} that is not a number "
                f"({str(value)[:40]!r}): its metadata was changed outside gapgates. Register the "
                "model again through the gate."
            )
        promoted[str(m)] = None if value is None else float(value)
    return metrics, promoted


def _fresh(data: str | Path, target: str, sample: TrainingSample, *, min_rows: int, labels: bool | None) -> pd.DataFrame:
    """The fresh rows, checked; without the target column (or ``labels=False``) the table has no target column."""
    from gapgates.data.tables import load_table, require_columns

    table = load_table(data)
    labelled = target in table.columns if labels is None else labels
    if labelled or target != sample.target:  # a target the version was not trained on is a typo, not "no labels"
        require_columns(table, target)
    elif target in table.columns:
        table = table.drop(columns=[target])
    if target != sample.target:
        raise ConfigError(
            f"The production version was trained on the target '{sample.target}', not '{target}'. Pass --target {sample.target}."
        )
    missing = [c for c in sample.features if c not in table.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else "")
        raise ConfigError(
            f"The fresh data '{data}' lacks {len(missing)} feature column(s) of the production model: "
            f"{shown}. Give rows with the training columns."
        )
    if len(table) < min_rows:
        raise DataError(
            f"The fresh data '{data}' has {len(table)} rows; monitoring needs at least {min_rows} "
            "([monitor] min_rows). Collect more rows."
        )
    if labelled and table[target].isna().any():
        count = int(table[target].isna().sum())
        raise DataError(f"The fresh data '{data}' has {count} row(s) without a label in '{target}'. Drop them or label them.")
    return table


def _quality(
    table: pd.DataFrame, target: str | None, policy: Policy, suite: str | None, *, model: Any, classification: bool
) -> QualityResult:
    """The fresh rows through the gate's suites; a classifier's labels must be the classes it was trained on."""
    from gapgates.quality.gate import check_quality

    section = policy.quality
    classes = getattr(model, "classes_", None) if classification else None
    if section.labels is None and classes is not None:
        section = section.model_copy(update={"labels": [v.item() if hasattr(v, "item") else v for v in classes]})
    return check_quality(table, target=target, section=section, classification=classification, suite_path=suite)


def _suite(suite: str | None, policy: Policy, policy_path: str | Path | None) -> str | None:
    if suite is not None:
        return suite
    found = policy.quality.suite
    if found is not None and not Path(found).is_absolute() and policy_path is not None:
        return str(Path(policy_path).parent / found)
    return found


def run_monitor(
    data: str | Path,
    *,
    registry: str | Path,
    model_name: str,
    target: str | None = None,
    policy: str | Path | None = None,
    suite: str | None = None,
    seed: int = 0,
    labels: bool | None = None,
    batch: str | None = None,
    id_column: str | None = None,
) -> MonitorResult:
    """Monitor the production version of a model on fresh rows, with their labels or without.

    Args:
        data: Fresh rows (CSV or Parquet) with the training columns, and the target when labelled.
        registry: The registry (a directory, or ``mlflow:<tracking uri>``).
        model_name: The model whose production version to monitor.
        target: The target column (None: the version's own).
        policy: A policy file (its ``[monitor]`` and ``[quality]`` sections); None: the default policy.
        suite: A GX suite JSON to validate the fresh rows with, instead of ``[quality] suite``.
        seed: Seed of the bootstrap, the Monte Carlo draws and the drift classifier.
        labels: True: the rows must carry labels; False: ignore any target column and estimate; None: estimate
            when the target column is absent.
        batch: The batch's id, to match a later labelled run with this one's estimate.
        id_column: A column of row ids; the batch's id is then a hash of its sorted values (ignored with ``batch``).

    Returns:
        The judged run.

    Raises:
        ConfigError: Bad options, policy, files or columns.
        DataError: Too few fresh rows, or rows without a label.
        RegistryError: No such registry or model, no production version, a version without a
            training sample or test scores (or, without labels, without stored out-of-fold outputs), or a
            model file that fails its checksum.
        UserCodeError: The production model raised while predicting.

    Example:
        >>> result = run_monitor("fresh.csv", registry="registry", model_name="clf", target="y")  # doctest: +SKIP
        >>> result.decision.outcome.value  # doctest: +SKIP
        'ok'
    """
    from gapgates.compute.drift import measure_drift
    from gapgates.compute.production import score_fresh
    from gapgates.data.guard import GuardedModel, model_kind, output_problems
    from gapgates.judge.monitor import MonitorEvidence, decide
    from gapgates.judge.policy import load_policy
    from gapgates.registry import open_registry
    from gapgates.registry.sample import load_training_sample

    if not isinstance(model_name, str) or not model_name.strip():
        raise ConfigError(f"--model-name must name the registered model. Got {model_name!r}.")
    rules = load_policy(policy)
    reg = open_registry(registry, model_name=model_name, must_exist=True)
    version, metadata, promoted_at = _production(reg, model_name)
    sample = load_training_sample(reg, version, metadata=metadata)
    metrics, promoted = _metrics(version, metadata)
    target = sample.target if target is None else target
    table = _fresh(data, target, sample, min_rows=rules.monitor.min_rows, labels=labels)
    labelled = target in table.columns
    batch_id, batch_source = _batch(table, sample, batch=batch, id_column=id_column)
    reference = None if labelled else _estimate_reference(reg, version, metadata)
    model = reg.load(version)
    classification = model_kind(model) == "classifier"
    quality = _quality(
        table, target if labelled else None, rules, _suite(suite, rules, policy), model=model, classification=classification
    )
    guarded = GuardedModel(model, name=model_name, label="the production model")
    if classification and (classes := getattr(model, "classes_", None)) is not None:
        guarded.classes_ = np.asarray(classes)
    X = table[sample.features]
    if labelled and classification:
        check_labels(table[target], getattr(model, "classes_", None), data=data, target=target)
    check_numeric_columns(X, sample, data=data)
    scores: tuple[ProductionScore, ...] = ()
    estimate = None
    confidence = rules.monitor.confidence
    try:
        if labelled:
            scores = score_fresh(guarded, X, table[target], metrics=metrics, promoted=promoted, confidence=confidence, seed=seed)
        else:
            estimate = _estimate(guarded, X, reference, metrics=metrics, promoted=promoted, confidence=confidence, seed=seed)
    except UserCodeError as err:  # a model that cannot predict on missing values: name the columns, not the model
        raise missing_values(X, data=data) or err from err
    drift = measure_drift(sample.table[sample.features], X, alpha=rules.monitor.drift_alpha, seed=seed)
    evidence = MonitorEvidence(
        scores=scores, drift=drift, quality=quality, output_problems=output_problems([guarded]), estimate=estimate
    )
    return MonitorResult(
        name=model_name,
        registry=str(registry),
        version=version,
        promoted_at=promoted_at,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        data=str(data),
        fingerprint=_fingerprint(table),
        rows=len(table),
        target=target,
        task="classification" if classification else "regression",
        primary_metric=metrics[0] if estimate is None else estimate.primary.metric,
        scores=scores,
        drift=drift,
        quality=quality,
        sample=sample,
        decision=decide(evidence, rules.monitor),
        policy=rules,
        estimate=estimate,
        batch=batch_id,
        batch_source=batch_source,
    )


def _batch(table: pd.DataFrame, sample: TrainingSample, *, batch: str | None, id_column: str | None) -> tuple[str, str]:
    """The batch's id and where it comes from: given, a hash of the sorted row ids, or a hash of the feature columns."""
    import hashlib

    if batch is not None:
        if not isinstance(batch, str) or not batch.strip() or len(batch) > 200:
            raise ConfigError(f"--batch must be a non-empty name of at most 200 characters. Got {str(batch)[:80]!r}.")
        return batch.strip(), "given"
    if id_column is not None:
        from gapgates.data.tables import require_columns

        require_columns(table, id_column)
        ids = sorted(map(str, table[id_column].tolist()))
        return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()[:16], "ids"
    return _fingerprint(table[sample.features])[:16], "features"


def _estimate_reference(registry: Any, version: str, metadata: dict[str, Any]) -> Any:
    from gapgates.compute.estimate import load_estimate_reference

    return load_estimate_reference(registry, version, metadata=metadata)


def _estimate(
    model: Any,
    X: pd.DataFrame,
    reference: Any,
    *,
    metrics: list[str],
    promoted: dict[str, float | None],
    confidence: float,
    seed: int,
) -> PerformanceEstimate:
    """The label-free estimate: CBPE on the model's probabilities, or DLE on its predictions."""
    from gapgates.compute.estimate import estimate_classifier, estimate_regressor

    if reference.task == "classification":
        classes = [plain(c) for c in np.asarray(getattr(model, "classes_", []))]
        if classes != list(reference.classes or ()):
            raise RegistryError(
                f"The production model's classes {_shown(classes, 10)} are not those of its stored out-of-fold "
                f"predictions ({_shown(reference.classes or (), 10)}). Register the model again."
            )
        proba = np.asarray(model.predict_proba(X), dtype=float)
        return estimate_classifier(
            reference, proba, features=X, metrics=metrics, promoted=promoted, confidence=confidence, seed=seed
        )
    prediction = np.asarray(model.predict(X), dtype=float)
    return estimate_regressor(reference, X, prediction, metrics=metrics, promoted=promoted, confidence=confidence, seed=seed)


def _shown(values: Any, limit: int = 5) -> str:
    values = list(values)
    more = f" (and {len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(repr(plain(v)) for v in values[:limit]) + more


def _label_key(value: Any) -> tuple[str, Any]:
    """A label compared by kind and value: 1 and 1.0 are one class, "1" and True are others."""
    value = plain(value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return (type(value).__name__, value)


def check_labels(y: pd.Series, classes: Any, *, data: str | Path, target: str) -> None:
    """Refuse fresh labels the production classifier was never trained on (bad input, not a reason to retrain).

    Raises:
        DataError: Naming the column, the unexpected values (of another type too: ``'yes'`` for a 0/1 model) and the
            model's classes.
    """
    if classes is None:
        return
    known = {_label_key(c) for c in np.asarray(classes)}
    unexpected = [v for v in pd.unique(y) if _label_key(v) not in known]
    if unexpected:
        share = float(y.isin(unexpected).mean())
        raise DataError(
            f"The fresh labels in '{target}' of '{data}' include {_shown(unexpected)} on {share:.0%} of the rows, which "
            f"the production model never saw: its classes are {_shown(np.asarray(classes), 20)}. Fix the labelling "
            "(or map the labels to the model's classes) before monitoring."
        )


def check_numeric_columns(X: pd.DataFrame, sample: TrainingSample, *, data: str | Path) -> None:
    """Refuse text in a column that was numeric in the training rows, naming the column and the values.

    Raises:
        DataError: For the first such column.
    """
    for column in X.columns:
        trained = sample.table[column]
        if not pd.api.types.is_numeric_dtype(trained.dtype) or pd.api.types.is_numeric_dtype(X[column].dtype):
            continue
        parsed = pd.to_numeric(X[column], errors="coerce")
        bad = X[column][parsed.isna() & X[column].notna()]
        if len(bad):
            raise DataError(
                f"The fresh column '{column}' of '{data}' holds text ({_shown(pd.unique(bad))} on {len(bad)} row(s)), but "
                "the production model was trained on numbers there. Fix or drop those rows."
            )


def missing_values(X: pd.DataFrame, *, data: str | Path) -> DataError | None:
    """The error naming the feature columns with missing values (None when there are none)."""
    columns = [c for c in X.columns if X[c].isna().any()]
    if not columns:
        return None
    counts = ", ".join(f"'{c}' ({int(X[c].isna().sum())} rows)" for c in columns[:5])
    return DataError(
        f"The production model cannot predict on the missing values of '{data}' in {counts}. Fill or drop those rows."
    )


def _fingerprint(table: pd.DataFrame) -> str:
    from gapgates.data.tables import fingerprint

    return fingerprint(table)


def monitor_report(result: MonitorResult) -> dict[str, Any]:
    """The ``report.json`` of a monitor run (plain JSON; validates against ``monitor.schema.json``).

    ``kind``, ``model.name``, ``registry.version``, ``data.fingerprint``, ``decision``,
    ``primary_metric`` and ``gap`` (per metric ``gap_mean``, ``gap_ci_low``, ``gap_ci_high``: the
    production gap) are the keys the run history reads (:func:`gapgates.history.record_from_report`). A
    label-free run has ``labels: false``, an empty ``gap`` and an ``estimate`` (per metric the estimated score
    and gap, with their intervals; the history records it as a run of kind ``estimate``); ``batch`` names the rows.
    """
    from gapgates import __version__
    from gapgates.judge.policy import policy_hash

    return {
        "schema_version": MONITOR_SCHEMA_VERSION,
        "kind": "monitor",
        "gapgates_version": __version__,
        "created": result.created,
        "model": {"name": result.name, "task": result.task},
        "registry": {"location": result.registry, "version": result.version, "promoted_at": result.promoted_at},
        "decision": result.decision.outcome.value,
        "reasons": result.decision.reasons,
        "checks": [c.to_dict() for c in result.decision.checks],
        "primary_metric": result.primary_metric,
        "gap": {s.metric: s.to_dict() for s in result.scores},
        "drift": result.drift.to_dict(),
        "quality": None if result.quality is None else result.quality.to_dict(),
        "data": {"path": result.data, "fingerprint": result.fingerprint, "rows": result.rows, "target": result.target},
        "training_sample": {"rows": result.sample.rows, "of_rows": result.sample.of_rows, "sha256": result.sample.sha256},
        "policy_hash": policy_hash(result.policy),
        "policy": {"monitor": result.policy.monitor.model_dump(mode="json")},
        "labels": result.labelled,
        "batch": {"id": result.batch, "source": result.batch_source},
        "estimate": None if result.estimate is None else {**result.estimate.to_dict(), "notes": [CONCEPT_SHIFT_NOTE]},
        "estimate_check": None,
    }


def publish_monitor(
    report: dict[str, Any], *, out: str | Path | None = None, history: str | Path | None = None
) -> dict[str, Path]:
    """Write a monitor report (``report.json``, ``report.md``, ``report.html``) and record its history row.

    Args:
        report: A :func:`monitor_report` mapping (checked against its schema before anything is written).
        out: The report directory, or None to write no files.
        history: The run-history database, or None to record nothing.

    Returns:
        The written files by kind (``json``, ``markdown``, ``html``).

    Raises:
        ConfigError: When ``out`` lies inside a directory registry (nothing is written or recorded).
    """
    from gapgates.history import History, record_from_report
    from gapgates.pipeline.outputs import check_outside_registries
    from gapgates.report.monitor import write_monitor

    if out is not None:
        check_outside_registries(out)  # a registry's stored report.json is not a monitor's to replace
    paths = write_monitor(report, out) if out is not None else {}
    if history is not None:
        History(history).add(record_from_report(report))
    return paths


def monitor_evidence(report: dict[str, Any]) -> dict[str, Any]:
    """The evidence of a monitor run in a few plain keys: what the Prefect ``gapgates.monitor.retrain`` event carries.

    Args:
        report: A :func:`monitor_report` mapping.

    Returns:
        ``model``, ``version``, ``decision``, ``reasons``, ``primary_metric``, ``production_gap``
        (the primary metric's, with ``gap_ci_low`` / ``gap_ci_high``), ``drift_auc``, ``drifted_columns``,
        ``data_fingerprint``, ``created``, ``estimated`` (True when the gap was estimated without labels) and
        ``batch``.

    Example:
        >>> report = {"model": {"name": "clf"}, "registry": {"version": "v1"}, "decision": "retrain", "reasons": [],
        ...           "primary_metric": "accuracy", "gap": {"accuracy": {"gap_mean": 0.2, "gap_ci_low": 0.1,
        ...           "gap_ci_high": 0.3}}, "drift": {"auc": 0.9, "drifted": ["x0"]}, "data": {"fingerprint": "f"},
        ...           "created": "2026-11-24T00:00:00+00:00"}
        >>> monitor_evidence(report)["production_gap"]
        0.2
    """
    primary = report["primary_metric"]
    estimate = report.get("estimate")
    gap = report["gap"].get(primary, {}) if estimate is None else estimate["scores"].get(primary, {})
    return {
        "model": report["model"]["name"],
        "version": report["registry"]["version"],
        "decision": report["decision"],
        "reasons": list(report["reasons"]),
        "primary_metric": primary,
        "production_gap": gap.get("gap_mean"),
        "gap_ci_low": gap.get("gap_ci_low"),
        "gap_ci_high": gap.get("gap_ci_high"),
        "drift_auc": report["drift"]["auc"],
        "drifted_columns": list(report["drift"]["drifted"]),
        "data_fingerprint": report["data"]["fingerprint"],
        "created": report["created"],
        "estimated": estimate is not None,
        "batch": (report.get("batch") or {}).get("id"),
    }


def check_estimate(report: dict[str, Any], history: str | Path | None) -> dict[str, Any]:
    """A labelled monitor report with, when the history holds an earlier label-free estimate of the same batch of the
    same version, that estimate beside the measured gap (``estimate_check``).

    Args:
        report: A :func:`monitor_report` mapping.
        history: The run-history database (None: the report unchanged).

    Returns:
        A new mapping; ``estimate_check`` is None when nothing matched (or the run is itself an estimate), else
        ``run_id``, ``created``, ``metric`` and per metric ``estimated_gap``, ``actual_gap`` and ``error``
        (actual − estimated).
    """
    from gapgates.history import History

    if history is None or not report.get("labels", True):
        return report
    batch = (report.get("batch") or {}).get("id")
    earlier = History(history).estimate_of(report["model"]["name"], version=report["registry"]["version"], batch=batch)
    if earlier is None:
        return report
    metrics = {}
    for metric, g in report["gap"].items():
        estimated = earlier.gaps.get(metric)
        actual = g.get("gap_mean")
        if estimated is None or estimated.gap is None or actual is None:
            continue
        metrics[metric] = {
            "estimated_gap": estimated.gap,
            "estimated_ci_low": estimated.ci_low,
            "estimated_ci_high": estimated.ci_high,
            "actual_gap": actual,
            "error": actual - estimated.gap,
        }
    if not metrics:
        return report
    check = {"run_id": earlier.id, "created": earlier.time, "decision": earlier.decision, "metrics": metrics}
    return {**report, "estimate_check": check}
