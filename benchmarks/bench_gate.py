"""Benchmark: gapgates' one-pass gate against the obvious alternatives, same data, one process.

(a) bare ``cross_validate(return_train_score=True)``: the gap alone, nothing kept;
(b) the naive composition: ``cross_validate`` + ``cross_val_predict(method="predict_proba")``
    + ``cleanlab.filter.find_label_issues`` (fits every fold twice);
(c) gapgates: ``gapgates.gap`` (one pass that keeps the fold models and out-of-fold
    probabilities) + label noise from those probabilities.

Prints each time (best of ``--repeat``) and the ratios c/a (target ≤ 1.15) and c/b (target ≤ 0.6).

    python benchmarks/bench_gate.py                 # 50k × 20, 3 classes, 10% flipped, HGB, 5 folds
    python benchmarks/bench_gate.py --rows 5000     # quicker
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd


def make_data(rows: int, features: int, classes: int, flip: float, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=rows,
        n_features=features,
        n_informative=min(features, 10),
        n_classes=classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    flipped = rng.random(rows) < flip
    y = np.where(flipped, (y + rng.integers(1, classes, rows)) % classes, y)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(features)]), pd.Series(y, name="label")


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--flip", type=float, default=0.10)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from cleanlab.filter import find_label_issues
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_validate

    import gapgates
    from gapgates.compute.noise import label_noise

    X, y = make_data(args.rows, args.features, args.classes, args.flip, args.seed)
    model = HistGradientBoostingClassifier(random_state=args.seed)
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    splits = list(cv.split(X, y))

    def bare() -> object:
        return cross_validate(model, X, y, cv=splits, return_train_score=True, n_jobs=args.n_jobs)

    def naive() -> object:
        cross_validate(model, X, y, cv=splits, return_train_score=True, n_jobs=args.n_jobs)
        proba = cross_val_predict(model, X, y, cv=splits, method="predict_proba", n_jobs=args.n_jobs)
        return find_label_issues(y.to_numpy(), proba)

    def ours() -> object:
        result = gapgates.gap(model, X, y, splits=splits, n_jobs=args.n_jobs)
        return label_noise(result.cv, y)

    print(
        f"data: {args.rows} rows × {args.features} features, {args.classes} classes, {args.flip:.0%} labels flipped; "
        f"HistGradientBoostingClassifier, {args.folds} folds, n_jobs={args.n_jobs}, best of {args.repeat}"
    )
    a = best_of(bare, args.repeat)
    print(f"(a) cross_validate(return_train_score=True)              {a:8.2f} s")
    b = best_of(naive, args.repeat)
    print(f"(b) cross_validate + cross_val_predict + find_label_issues {b:6.2f} s")
    c = best_of(ours, args.repeat)
    print(f"(c) gapgates.gap + label noise                           {c:8.2f} s")
    print(f"ratio c/a = {c / a:.3f}  (target <= 1.15)")
    print(f"ratio c/b = {c / b:.3f}  (target <= 0.60)")


if __name__ == "__main__":
    main()
