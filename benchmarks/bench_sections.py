"""Benchmark: what each measurement of a run costs, and what importing Datalab costs (the evidence sections' figures
in docs/concepts/evidence.md and docs/guides/sweeps.md).

Every registered measurement's ``compute`` is wrapped with a timer (re-registered with ``replace=True``), then one
``run_check`` per case prints the seconds each measurement took. The cross-validation pass itself (the ``gap`` step)
is timed around the whole run minus the measurements. Cases:

1. ``sections``: 16,000 rows × 10 numeric features (``make_classification``, 2 classes, 5 % of labels flipped),
   ``HistGradientBoostingClassifier``, 5 folds: segments, classification evidence, Datalab's audit (on its sample of
   ``[data_issues] max_rows`` = 5,000 rows) and the rest.
2. ``wide``: 20,000 rows × 340 columns, 40 of them identifiers with 5,000 values each; the same model.
3. ``boosting curve``: the training curve replayed for a ``HistGradientBoostingClassifier(max_iter=400,
   early_stopping=False)`` on 2,000 rows, 5 folds.
4. ``epochs curve``: the training curve of an ``MLPClassifier(max_iter=150)`` on 600 rows, 5 folds (fitted again
   epoch by epoch).

Then ``import cleanlab`` and ``from cleanlab import Datalab`` in fresh interpreters (median of 3).

    python benchmarks/bench_sections.py [--only sections,wide,boosting,epochs,imports]

One BLAS thread (``GAPGATES_THREADS=1``), folds one at a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = ("sections", "wide", "boosting", "epochs", "imports")


def _timed_registry() -> dict[str, float]:
    """Wrap every measurement's compute with a timer; the seconds land in the returned dict, by measurement."""
    from gapgates.measurements.base import REGISTRY, register

    seconds: dict[str, float] = {}

    def wrap(name: str, compute: Any) -> Any:
        def timed(ctx: Any) -> Any:
            start = time.perf_counter()
            try:
                return compute(ctx)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start

        return timed

    for name, m in list(REGISTRY.items()):
        if m.compute is not None:
            register(dataclasses.replace(m, compute=wrap(name, m.compute)), replace=True)
    return seconds


def _data(case: str, work: Path) -> tuple[Path, str, dict[str, Any]]:
    """The CSV, the model spec and the extra options of a case."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    rows = {"sections": 16_000, "wide": 20_000, "boosting": 2_000, "epochs": 600}[case]
    X, y = make_classification(n_samples=rows, n_features=10, n_informative=6, flip_y=0.05, random_state=0)
    columns: dict[str, Any] = {f"x{i}": X[:, i] for i in range(10)}
    if case == "wide":
        rng = np.random.default_rng(0)
        columns |= {f"n{i}": rng.normal(size=rows) for i in range(290)}
        columns |= {f"id{i}": [f"v{v}" for v in rng.integers(0, 5000, size=rows)] for i in range(40)}
    frame = pd.DataFrame({**columns, "label": y})
    path = work / f"{case}.csv"
    frame.to_csv(path, index=False)
    model, options = "sklearn.ensemble.HistGradientBoostingClassifier", {}
    if case == "boosting":
        options = {"training_curve": True, "params": {"max_iter": 400, "early_stopping": False}}
    if case == "epochs":
        model, options = "sklearn.neural_network.MLPClassifier", {"training_curve": True, "params": {"max_iter": 150}}
    return path, model, options


def run_case(case: str, work: Path) -> None:
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check

    seconds = _timed_registry()
    path, model, options = _data(case, work)
    config = make_config({"data": path, "target": "label", "model": model, **options})
    start = time.perf_counter()
    result = run_check(config)
    total = time.perf_counter() - start
    measured = sum(seconds.values())
    rest = total - measured
    print(
        f"\n{case}: {path.stat().st_size / 2**20:.1f} MiB CSV, {model}; run_check {total:.1f} s "
        f"({result.decision.outcome.value}); the gap pass (the strong baseline's fits included) and the rest {rest:.1f} s"
    )
    for name, s in sorted(seconds.items(), key=lambda item: -item[1]):
        if s >= 0.01:
            print(f"   {name:<22} {s:7.2f} s")


def imports() -> None:
    print("\nimports, fresh interpreter, median of 3:")
    for label, code in (("import cleanlab", "import cleanlab"), ("from cleanlab import Datalab", "from cleanlab import Datalab")):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        base = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            base.append(time.perf_counter() - start)
        print(f"   {label:<30} {statistics.median(times) - statistics.median(base):6.2f} s over a bare interpreter")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated cases: {', '.join(CASES)} (default: all)")
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.only.split(",")] if args.only else list(CASES)
    unknown = sorted(set(chosen) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    for name in ("GAPGATES_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    print(f"bench_sections: {os.cpu_count()} cores, one BLAS thread, folds one at a time")
    with tempfile.TemporaryDirectory() as tmp:
        for case in chosen:
            if case == "imports":
                imports()
            else:
                run_case(case, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
