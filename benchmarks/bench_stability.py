"""Benchmark: does the decision depend on the fold seed? Before and after adaptive repeats.

For each case, the gate's judging steps (``gapgates.run_check``: quality gate, folds, gap,
diagnostics, baseline, decide) run for seeds 0..N-1 with the shipped default policy, once per
``[gap] max_repeats`` budget: 0 is *before* (one fixed 5-fold interval), the shipped default is
*after* (repeats of 5-fold added while a gated interval straddles its limit). Everything runs in
one process on the same data files (after one untimed run that pays the imports).

Printed per case and budget: the decisions, the **flip rate** (share of seeds whose decision
differs from the case's most common decision: 0 means the seed never changes the decision),
and the **extra fits** spent on added repeats (mean and most per run).

``--sweep`` measures what the default budget is chosen from instead: seven models near the limit
on breast cancer (logistic regressions with weak regularisation, nearest neighbours, shallow trees,
a random forest), 20 seeds each, with a budget of 8: how many added repeats settled each interval
that straddled its limit, and how many stayed unsettled.

    python benchmarks/bench_stability.py                    # 4 cases × 20 seeds, budgets 0 and the default
    python benchmarks/bench_stability.py --budgets 0,1,2,4,8 --cases digits,cancer
    python benchmarks/bench_stability.py --sweep
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Case:
    """One model on one data set."""

    name: str
    frame: pd.DataFrame
    model: str
    params: dict


def _flipped(frame: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """The frame with a share of its binary ``target`` flipped at random."""
    rng = np.random.default_rng(seed)
    flip = rng.random(len(frame)) < share
    return frame.assign(target=np.where(flip, 1 - frame["target"], frame["target"]))


def cases() -> dict[str, Case]:
    """digits and breast cancer with a scaled logistic regression, an unbounded tree, 10 % noisy labels."""
    from sklearn.datasets import load_breast_cancer, load_digits

    digits, cancer = load_digits(as_frame=True).frame, load_breast_cancer(as_frame=True).frame
    logreg = "gapgates.demo.scaled_logistic_regression"
    return {
        c.name: c
        for c in (
            Case("digits", digits, logreg, {}),
            Case("cancer", cancer, logreg, {}),
            Case("tree", cancer, "sklearn.tree.DecisionTreeClassifier", {}),
            Case("noisy", _flipped(cancer, 0.10), logreg, {}),
        )
    }


@dataclass(frozen=True)
class Row:
    """One case under one budget, over every seed."""

    case: str
    budget: int
    decisions: tuple[str, ...]
    extra_fits: tuple[int, ...]
    seconds: float

    @property
    def flip_rate(self) -> float:
        """Share of seeds whose decision differs from the most common one."""
        most = Counter(self.decisions).most_common(1)[0][1]
        return 1.0 - most / len(self.decisions)


def run(case: Case, data: Path, *, budget: int, seeds: int) -> Row:
    from gapgates.config import make_config
    from gapgates.judge.policy import load_policy
    from gapgates.pipeline.definition import run_check

    default = load_policy()
    policy = default.model_copy(update={"gap": default.gap.model_copy(update={"max_repeats": budget})})
    decisions, fits = [], []
    start = time.perf_counter()
    for seed in range(seeds):
        config = make_config(
            {"data": data, "target": "target", "model": case.model, "params": case.params, "name": case.name, "seed": seed}
        )
        result = run_check(config, policy=policy)
        repeats = result.evidence.gap.repeats if result.evidence.gap is not None else None
        decisions.append(result.decision.outcome.value)
        fits.append(0 if repeats is None else repeats.extra_fits)
    return Row(case.name, budget, tuple(decisions), tuple(fits), time.perf_counter() - start)


#: Near-limit models for ``--sweep``: (name, model spec, params).
SWEEP: tuple[tuple[str, str, dict], ...] = (
    ("logreg C=10", "gapgates.demo.scaled_logistic_regression", {"logisticregression__C": 10}),
    ("logreg C=100", "gapgates.demo.scaled_logistic_regression", {"logisticregression__C": 100}),
    ("3-NN", "sklearn.neighbors.KNeighborsClassifier", {"n_neighbors": 3}),
    ("1-NN", "sklearn.neighbors.KNeighborsClassifier", {"n_neighbors": 1}),
    ("tree depth 3", "sklearn.tree.DecisionTreeClassifier", {"max_depth": 3}),
    ("tree depth 4", "sklearn.tree.DecisionTreeClassifier", {"max_depth": 4}),
    ("forest leaf 5", "sklearn.ensemble.RandomForestClassifier", {"n_estimators": 30, "min_samples_leaf": 5}),
)


def sweep(data: Path, *, seeds: int, budget: int = 8) -> None:
    """How many added repeats settle a straddling interval, for near-limit models (the default's measurement)."""
    from gapgates.config import make_config
    from gapgates.judge.policy import load_policy
    from gapgates.pipeline.definition import run_check

    default = load_policy()
    policy = default.model_copy(update={"gap": default.gap.model_copy(update={"max_repeats": budget})})
    settled: Counter[int] = Counter()
    straddling = unsettled = 0
    for name, model, params in SWEEP:
        mine: Counter[str] = Counter()
        for seed in range(seeds):
            config = make_config({"data": data, "target": "target", "model": model, "params": params, "seed": seed})
            repeats = run_check(config, policy=policy).evidence.gap.repeats
            if not repeats.straddled:
                mine["not straddling"] += 1
                continue
            straddling += 1
            if repeats.unresolved:
                unsettled += 1
                mine[f"unsettled after {budget}"] += 1
            else:
                settled[repeats.added] += 1
                mine[f"settled by {repeats.added}"] += 1
        print(f"{name:<14} {dict(sorted(mine.items()))}", flush=True)
    print(f"\n{straddling} of {len(SWEEP) * seeds} runs straddled the limit; {unsettled} were still unsettled after {budget}.")
    print("| budget | straddling runs settled | share of those settled within the sweep's budget |")
    print("|---:|---:|---:|")
    total = sum(settled.values())
    for b in range(1, budget + 1):
        done = sum(n for added, n in settled.items() if added <= b)
        print(f"| {b} | {done} of {straddling} | {done / total:.0%} |")


def main() -> None:
    from gapgates.judge.policy import DEFAULT_MAX_REPEATS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budgets", default=f"0,{DEFAULT_MAX_REPEATS}", help="[gap] max_repeats values, comma-separated")
    parser.add_argument("--cases", default="digits,cancer,tree,noisy")
    parser.add_argument("--sweep", action="store_true", help="measure how many repeats settle near-limit models")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    chosen = [cases()[name] for name in args.cases.split(",")]
    if args.sweep:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "cancer.csv"
            cases()["cancer"].frame.to_csv(data, index=False)
            sweep(data, seeds=args.seeds)
        return

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(chosen):
            data = Path(tmp) / f"{case.name}.csv"
            case.frame.to_csv(data, index=False)
            if i == 0:  # untimed: the first run of a process pays the imports (Great Expectations, cleanlab)
                run(case, data, budget=0, seeds=1)
            for budget in budgets:
                row = run(case, data, budget=budget, seeds=args.seeds)
                rows.append(row)
                counts = ", ".join(f"{n} {d}" for d, n in sorted(Counter(row.decisions).items()))
                print(
                    f"{case.name:<8} max_repeats={budget:<3} {counts:<24} flip rate {row.flip_rate:.2f}  "
                    f"extra fits mean {np.mean(row.extra_fits):.2f} max {max(row.extra_fits)}  {row.seconds:.1f} s",
                    flush=True,
                )
    print(f"\n{args.seeds} seeds each, 5 folds, default policy (max_gap 0.05, gate_on upper)")
    print("| case | max_repeats | decisions | flip rate | extra fits per run (mean / max) | seconds |")
    print("|---|---:|---|---:|---:|---:|")
    for row in rows:
        counts = ", ".join(f"{n} {d}" for d, n in sorted(Counter(row.decisions).items()))
        print(
            f"| {row.case} | {row.budget} | {counts} | {row.flip_rate:.2f} | "
            f"{np.mean(row.extra_fits):.2f} / {max(row.extra_fits)} | {row.seconds:.1f} |"
        )
    for budget in budgets:
        mine = [r for r in rows if r.budget == budget]
        print(
            f"max_repeats={budget}: flip rate over all cases {np.mean([r.flip_rate for r in mine]):.3f}, "
            f"extra fits per run {np.mean([np.mean(r.extra_fits) for r in mine]):.2f}"
        )


if __name__ == "__main__":
    main()
