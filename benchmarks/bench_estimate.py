"""Benchmark: how close is the label-free estimate to the accuracy measured once the labels come? (issue 31)

For each real table (``benchmarks/real_tables.py``: shipped inside packages, nothing downloaded) and seed:

1. the rows are split at random into a *training* part (40 %) and a *production pool* (60 %);
2. the model is cross-validated on the training part (5 folds) exactly as the gate does: its out-of-fold
   probabilities become the version's stored reference (:func:`gapgates.compute.estimate.estimate_reference`),
   its out-of-fold accuracy the score "at promotion"; the model is then fitted on the whole training part;
3. fresh batches of ``--rows`` rows (at least 1,000) are drawn from the pool, with replacement:
   * **unshifted**: from the whole pool;
   * **shifted** (a known covariate shift that lowers accuracy): from the rows at one end of one numeric
     feature (the 35 % of the pool with its lowest or highest values), the feature and end chosen as those where
     the fitted model's accuracy on the pool is lowest: the batch comes from a region where the model is weaker;
4. each batch is monitored *without its labels* (:func:`gapgates.compute.estimate.estimate_classifier`, CBPE), its
   columns tested for drift from the training part as the monitor tests them
   (:func:`gapgates.compute.drift.column_drift`; the adversarial AUC, which no rule judged here reads, is left out:
   it would triple the run's time), and
   judged by ``[monitor] max_estimated_gap`` alone (the default limit 0.05 on the default ``estimate_gate_on``,
   ``auto``: the mean estimated gap, or the upper bound of its interval once a per-column drift test fails; no drift
   rule of its own), and by each other ``estimate_gate_on``, then scored with its labels.

Printed: per table and kind, the mean actual and estimated accuracy and the share of batches whose estimate is
within ±0.03 of the actual (target ≥ 80 %); the share of shifted batches the estimate alone sends to ``retrain``
(target 100 % of those whose actual gap is above the limit) and of unshifted batches it keeps ``ok``, with the
shipped ``estimate_gate_on`` and with each setting. ``--out FILE`` also writes every batch as a JSON line, and
``--summarize FILE`` prints the summary of such a file again (run nothing).

    python benchmarks/bench_estimate.py                              # fair, default, spam7; 2 seeds; 3 batches each
    python benchmarks/bench_estimate.py --tables fair --seeds 1 --models hgb
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.real_tables import TABLES

#: Tables with enough rows for a training part and fresh batches of 1,000 rows.
DEFAULT_TABLES = ("fair", "default", "spam7")
TOLERANCE = 0.03
#: The ``[monitor] estimate_gate_on`` settings each batch is also judged by (the estimated gap's mean or a bound of its interval).
BOUNDS = ("auto", "mean", "lower", "upper")


def _model(kind: str, X: pd.DataFrame, seed: int) -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if kind == "hgb":
        return HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    encode = make_column_transformer(
        (StandardScaler(), numeric), (OneHotEncoder(handle_unknown="ignore"), categorical), remainder="drop"
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000))


@dataclass(frozen=True)
class Batch:
    """One fresh batch, estimated and measured."""

    table: str
    model: str
    seed: int
    kind: str
    actual: float
    estimated: float
    low: float
    high: float
    promoted: float
    decision: str
    seconds: float
    by_bound: dict[str, str]
    drifted: bool

    @property
    def error(self) -> float:
        return self.estimated - self.actual


def _prepare(name: str) -> tuple[pd.DataFrame, pd.Series]:
    frame, target, _ = TABLES[name]()
    X = frame.drop(columns=[target])
    for c in X.columns:
        if not pd.api.types.is_numeric_dtype(X[c]):
            X[c] = X[c].astype("category")
    return X, frame[target]


def _weak_region(model: Any, X: pd.DataFrame, y: pd.Series, *, share: float, rng: np.random.Generator) -> np.ndarray:
    """Positions of the pool rows at the end of a numeric feature where the model's accuracy is lowest."""
    correct = np.asarray(model.predict(X)) == np.asarray(y)
    size = int(share * len(X))
    best: tuple[float, np.ndarray] | None = None
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]) or X[column].nunique() < 5:
            continue
        order = np.lexsort((rng.uniform(size=len(X)), X[column].to_numpy(dtype=float)))  # ties broken at random
        for rows in (order[:size], order[-size:]):
            accuracy = float(correct[rows].mean())
            if best is None or accuracy < best[0]:
                best = (accuracy, rows)
    assert best is not None
    return best[1]


def run_table(name: str, model_kind: str, seed: int, *, rows: int, batches: int) -> list[Batch]:
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from gapgates.compute.drift import DriftResult, column_drift
    from gapgates.compute.estimate import estimate_classifier, estimate_reference
    from gapgates.compute.shift import ShiftResult
    from gapgates.judge.monitor import MonitorEvidence, decide
    from gapgates.judge.policy import MonitorPolicy

    X, y = _prepare(name)
    rng = np.random.default_rng(seed)
    train = np.sort(rng.choice(len(X), size=int(0.4 * len(X)), replace=False))
    pool = np.setdiff1d(np.arange(len(X)), train)
    Xt, yt = X.iloc[train].reset_index(drop=True), y.iloc[train].reset_index(drop=True)
    Xp, yp = X.iloc[pool].reset_index(drop=True), y.iloc[pool].reset_index(drop=True)
    model = _model(model_kind, Xt, seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    oof = cross_val_predict(model, Xt, yt, cv=folds, method="predict_proba")
    classes = np.unique(yt)
    cv = SimpleNamespace(oof_proba=oof, classes=classes, covered=np.ones(len(yt), bool), oof_pred=classes[oof.argmax(1)])
    stored = estimate_reference(cv, Xt, yt, target="y", classification=True, seed=seed)
    assert stored is not None
    reference = stored[0]
    promoted = float((classes[oof.argmax(1)] == np.asarray(yt)).mean())
    model.fit(Xt, yt)
    weak = _weak_region(model, Xp, yp, share=0.35, rng=rng)
    policies = {
        bound: MonitorPolicy(
            max_drift_auc=None, max_drifted_share=None, max_estimate_ece=None, max_support_auc=None, estimate_gate_on=bound
        )
        for bound in BOUNDS
    }
    defaults = MonitorPolicy()
    shipped, alpha = defaults.estimate_gate_on, defaults.drift_alpha
    out = []
    for kind, source in (("unshifted", np.arange(len(Xp))), ("shifted", weak)):
        for b in range(batches):
            picked = rng.choice(source, size=rows, replace=True)
            Xb, yb = Xp.iloc[picked], yp.iloc[picked]
            start = time.perf_counter()
            estimate = estimate_classifier(
                reference,
                model.predict_proba(Xb),
                features=Xb,
                metrics=["accuracy"],
                promoted={"accuracy": promoted},
                seed=seed * 100 + b,
            )
            seconds = time.perf_counter() - start
            columns = column_drift(Xt, Xb, alpha=alpha)
            drift = DriftResult(ShiftResult(float("nan"), (), 0, 0.0), columns, alpha, len(Xt), len(Xb))
            evidence = MonitorEvidence(scores=(), drift=drift, estimate=estimate)
            by_bound = {bound: decide(evidence, p).outcome.value for bound, p in policies.items()}
            s = estimate.primary
            actual = float(accuracy_score(yb, model.predict(Xb)))
            out.append(
                Batch(
                    name,
                    model_kind,
                    seed,
                    kind,
                    actual,
                    s.estimate,
                    s.low,
                    s.high,
                    promoted,
                    by_bound[shipped],
                    seconds,
                    by_bound,
                    bool(drift.drifted),
                )
            )
    return out


def summarize(results: list[Batch], *, limit: float) -> list[str]:
    lines = [
        "| table | model | batches | kind | accuracy at promotion | actual (mean) | estimated (mean) | "
        f"within ±{TOLERANCE} | interval covers actual | a column drifted | actual gap > {limit} | retrain from the estimate |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = sorted({(r.table, r.model, r.kind) for r in results}, key=lambda k: (k[0], k[1], k[2] != "unshifted"))
    for table, model, kind in keys:
        rs = [r for r in results if (r.table, r.model, r.kind) == (table, model, kind)]
        within = np.mean([abs(r.error) <= TOLERANCE for r in rs])
        covered = np.mean([r.low <= r.actual <= r.high for r in rs])
        degraded = np.mean([r.promoted - r.actual > limit for r in rs])
        retrain = np.mean([r.decision == "retrain" for r in rs])
        drifted = np.mean([r.drifted for r in rs])
        lines.append(
            f"| {table} | {model} | {len(rs)} | {kind} | {np.mean([r.promoted for r in rs]):.3f} | "
            f"{np.mean([r.actual for r in rs]):.3f} | {np.mean([r.estimated for r in rs]):.3f} | {within:.0%} | "
            f"{covered:.0%} | {drifted:.0%} | {degraded:.0%} | {retrain:.0%} |"
        )
    within = np.mean([abs(r.error) <= TOLERANCE for r in results])
    shifted = [r for r in results if r.kind == "shifted"]
    unshifted = [r for r in results if r.kind == "unshifted"]
    degraded = [r for r in shifted if r.promoted - r.actual > limit]
    lines += [
        "",
        f"- estimate within ±{TOLERANCE} of the actual accuracy: {within:.1%} of {len(results)} batches (target ≥ 80 %); "
        f"mean |error| {np.mean([abs(r.error) for r in results]):.4f}; shifted batches "
        f"{np.mean([abs(r.error) <= TOLERANCE for r in shifted]):.1%}, unshifted "
        f"{np.mean([abs(r.error) <= TOLERANCE for r in unshifted]):.1%}",
        f"- shifted batches sent to retrain by the estimated gap alone (no drift rule): "
        f"{np.mean([r.decision == 'retrain' for r in shifted]):.1%} of {len(shifted)} "
        f"({np.mean([r.decision == 'retrain' for r in degraded]) if degraded else float('nan'):.1%} of the "
        f"{len(degraded)} whose actual gap is above {limit}; "
        f"{sum(r.decision == 'retrain' and r.promoted - r.actual <= limit for r in shifted)}"
        f" of the {len(shifted) - len(degraded)} at or under it)",
        f"- unshifted batches kept ok: {np.mean([r.decision == 'ok' for r in unshifted]):.1%} of {len(unshifted)}",
        *(
            f'- with estimate_gate_on = "{bound}": shifted batches sent to retrain '
            f"{np.mean([r.by_bound[bound] == 'retrain' for r in shifted]):.1%} ("
            f"{np.mean([r.by_bound[bound] == 'retrain' for r in degraded]) if degraded else float('nan'):.1%} of those over "
            f"the limit), unshifted kept ok {np.mean([r.by_bound[bound] == 'ok' for r in unshifted]):.1%}"
            for bound in BOUNDS
        ),
        f"- median estimate time per batch: {np.median([r.seconds for r in results]):.2f} s",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default=",".join(DEFAULT_TABLES))
    parser.add_argument("--models", default="hgb,logreg", help="hgb and/or logreg")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--batches", type=int, default=3, help="Batches per kind (unshifted, shifted) per seed.")
    parser.add_argument("--rows", type=int, default=1000, help="Rows per fresh batch (at least 1,000 for the target).")
    parser.add_argument("--out", type=Path, help="Also write every batch as a JSON line here.")
    parser.add_argument("--summarize", type=Path, help="Print the summary of batches an earlier --out wrote; run nothing.")
    args = parser.parse_args(argv)
    from gapgates.judge.policy import MonitorPolicy

    limit = MonitorPolicy().max_estimated_gap.limit  # type: ignore[union-attr]
    if args.summarize is not None:
        lines = args.summarize.read_text(encoding="utf-8").splitlines()
        print("\n".join(summarize([Batch(**json.loads(line)) for line in lines if line.strip()], limit=limit)))
        return 0
    from threadpoolctl import threadpool_limits

    results: list[Batch] = []
    start = time.perf_counter()
    threadpool_limits(limits=1)  # OpenMP threads oversubscribe a shared machine; one keeps the timings honest
    for name in args.tables.split(","):
        for model in args.models.split(","):
            for seed in range(args.seeds):
                results += run_table(name, model, seed, rows=args.rows, batches=args.batches)
                print(f"{name} {model} seed {seed}: done ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    print("\n".join(summarize(results, limit=limit)))
    if args.out is not None:
        args.out.write_text("".join(json.dumps(dataclasses.asdict(r)) + "\n" for r in results), encoding="utf-8")
    print(f"\n{len(results)} batches of {args.rows} rows in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
