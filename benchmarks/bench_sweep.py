"""Benchmark: a 10-value ``gapgates sweep`` against 10 separate ``gapgates check`` runs, whole processes.

Both judge the same ten values of ``max_depth`` of a decision tree on the same generated noisy data
(5 folds, the same policy, reports written): the sweep in one process that reads and checks the
data once and reuses the folds; the checks as ten processes, one per ``--param max_depth=K``.
Printed: the median wall time of each over ``--runs`` runs and the ratio sweep / checks (target ≤ 0.6).

    python benchmarks/bench_sweep.py                 # 2,000 rows × 10 features, 3 runs
    python benchmarks/bench_sweep.py --rows 20000 --runs 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
POLICY = (
    '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "upper"\n'
    "[performance]\nmin_gain_over_baseline = 0.0\n[noise]\nmax_rate = 1.0\n"
)


def write_data(path: Path, rows: int, features: int, seed: int) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=rows, n_features=features, n_informative=5, random_state=seed)
    y = np.where(np.random.default_rng(seed).random(rows) < 0.1, 1 - y, y)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(features)])
    frame["label"] = y
    frame.to_csv(path, index=False)


def gapgates(*args: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "gapgates", *args], capture_output=True, env=env).returncode


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--values", type=int, default=10, help="max_depth=1..VALUES")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data, policy = root / "data.csv", root / "policy.toml"
        write_data(data, args.rows, args.features, seed=0)
        policy.write_text(POLICY)
        common = (
            "--data",
            str(data),
            "--target",
            "label",
            "--model",
            "sklearn.tree.DecisionTreeClassifier",
            "--policy",
            str(policy),
            "--n-jobs",
            "1",
        )

        def sweep() -> None:
            code = gapgates("sweep", *common, "--sweep", f"max_depth=1..{args.values}", "--out", str(root / "sweep"))
            if code not in (0, 1):
                raise SystemExit(f"gapgates sweep exited {code}")

        def checks() -> None:
            for depth in range(1, args.values + 1):
                code = gapgates("check", *common, "--param", f"max_depth={depth}", "--out", str(root / f"check{depth}"))
                if code not in (0, 1):
                    raise SystemExit(f"gapgates check exited {code}")

        sweeps, separate = [], []
        for _ in range(args.runs):
            sweeps.append(timed(sweep))
            separate.append(timed(checks))
    s, c = statistics.median(sweeps), statistics.median(separate)
    print(f"{args.rows} rows × {args.features} features, max_depth=1..{args.values}, 5 folds, {args.runs} run(s)")
    print(f"sweep, one process:        {s:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in sweeps)})")
    print(f"{args.values} checks, {args.values} processes: {c:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in separate)})")
    print(f"ratio sweep / checks:      {s / c:7.2f}  (target ≤ 0.6)")


if __name__ == "__main__":
    main()
