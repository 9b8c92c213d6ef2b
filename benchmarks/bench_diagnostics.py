"""How long label noise, the noise-adjusted gap, shift and leakage add to a gate run.

50,000 × 20 generated rows (make_classification), HistGradientBoostingClassifier,
5 folds, a 20 % holdout. Prints one line per step with its wall time and its share
of the cross-validation pass. Usage: ``python benchmarks/bench_diagnostics.py [--rows N] [--threads K]``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="cap native threads (default: library default)")
    args = parser.parse_args()

    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    from gapgates.compute.crossval import gap
    from gapgates.compute.leakage import find_leakage
    from gapgates.compute.noise import label_noise
    from gapgates.compute.noise_adjusted import noise_adjusted_gap
    from gapgates.compute.shift import adversarial_validation

    X, y = make_classification(args.rows, args.features, n_informative=10, flip_y=0.05, random_state=0)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(args.features)])
    y = pd.Series(y)
    cut = int(len(X) * 0.8)
    X_train, y_train, X_hold = X.iloc[:cut], y.iloc[:cut], X.iloc[cut:]
    limits = threadpool_limits(limits=args.threads) if args.threads else None
    times: dict[str, float] = {}

    def timed(name: str, fn):
        start = time.perf_counter()
        out = fn()
        times[name] = time.perf_counter() - start
        return out

    result = timed(
        "cross-validation pass (5 fits)", lambda: gap(HistGradientBoostingClassifier(random_state=0), X_train, y_train)
    )
    noise = timed("label_noise (cleanlab, no fit)", lambda: label_noise(result.cv, y_train))
    timed(
        "noise-adjusted gap (scoring only)",
        lambda: noise_adjusted_gap(result, X_train, y_train, noise.positions, scoring=["accuracy"]),
    )
    shift = timed("shift (1 fit, ≤20k rows)", lambda: adversarial_validation(X_train, X_hold))
    leak = timed("leakage (no fit)", lambda: find_leakage(X_train, y_train, X_hold, classification=True))
    if limits is not None:
        limits.unregister()
    base = times["cross-validation pass (5 fits)"]
    print(f"{args.rows} rows × {args.features} features, threads={args.threads or 'default'}")
    for name, seconds in times.items():
        print(f"  {name:<38}{seconds:8.2f} s  {seconds / base:6.1%} of the pass")
    added = sum(v for k, v in times.items() if not k.startswith("cross"))
    print(f"  {'all diagnostics together':<38}{added:8.2f} s  {added / base:6.1%} of the pass")
    print(f"  noise rate {noise.rate:.3f}, shift AUC {shift.auc:.3f}, copied holdout rows {leak.near_duplicates}")


if __name__ == "__main__":
    main()
