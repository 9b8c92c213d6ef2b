"""Time the built-in data-quality suite on 1,000,000 rows x 20 columns.

Run: ``python benchmarks/bench_quality.py [--rows N] [--repeat R]``

Prints GX's import time separately, then per repeat the validation time, wall and
CPU (context, batch and suite run; GX's import excluded), then the peak memory
traced by ``tracemalloc`` during one more validation, and the process's peak RSS.
The machine may be shared: CPU time is the figure least affected by other load.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """17 float columns, one int column, one 5-category text column and a 0/1 target; 1 % nulls in x0."""
    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(size=rows) for i in range(17)}
    data["x0"][rng.random(rows) < 0.01] = np.nan
    data["count"] = rng.integers(0, 100, rows)
    data["city"] = rng.choice(["a", "b", "c", "d", "e"], rows)
    data["label"] = rng.integers(0, 2, rows)
    return pd.DataFrame(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    table = make_table(args.rows)
    size = table.memory_usage(deep=True).sum() / 1e6
    print(f"table: {table.shape[0]:,} rows x {table.shape[1]} columns, {size:.0f} MB")

    start = time.perf_counter()
    import great_expectations  # noqa: F401  (the import is what is timed here)

    print(f"great_expectations import: {time.perf_counter() - start:.2f} s (excluded below)")

    from gapgates.judge.policy import Policy
    from gapgates.quality.gate import check_quality

    section = Policy(quality={"labels": [0, 1], "min_rows": 1000}).quality
    for i in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = check_quality(table, target="label", section=section)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"run {i + 1}: {len(result.results)} expectations, success={result.success}, "
            f"validation {seconds:.2f} s wall, {cpu:.2f} s CPU"
        )
    tracemalloc.start()  # a separate run: tracing slows Python code down
    check_quality(table, target="label", section=section)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"tracemalloc peak during one validation: {peak / 1e6:.0f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB (table included)")


if __name__ == "__main__":
    main()
