"""How often the gap decision depends on the fold seed on real tables, and what a policy setting does to it.

Fit once, replay many times. Every healthy and planted-overfit case of ``bench_decisions.py`` (its tables, models and
faults) runs through ``gapgates.run_check`` on ``--seeds`` fold seeds with every fold the adaptive repeats can reach
(``--repeats 1 + [gap] max_repeats``: 25 folds by default); each case's per-fold scores of the primary metric, the
candidate's and every strong-baseline reference's, are kept (``--out``, one JSON line a case). A run that adds
repeats fits exactly the folds of ``--repeats r`` with the same seed, so the first ``5·r`` of those folds are the
folds a default run reaches after ``r - 1`` added repeats.

Then the gap decision is replayed for each ``--set`` variant of the default policy with the library's own rules, as
:mod:`gapgates.pipeline.repeats` runs them: the gap and the strong baseline on the first 5 folds, one more repeat
while :func:`gapgates.judge.straddles.undecided` or :func:`~gapgates.judge.straddles.undecided_costs` say more folds
could still decide, then the gap check of :func:`gapgates.judge.rules.evaluate` on the folds reached. A case is
blocked when that check fails or when another check (noise, leakage: they do not depend on the variant) failed in its
fitted run.

Printed per variant: the table × model pairs whose outcome differs between two seeds, for every pair of seeds and
on any of them; healthy best-in-class runs blocked (within 0.01 of the best healthy test score on the same table and
seed); planted overfit at least 0.02 under that best blocked by the gap check; healthy runs blocked; folds used.
Tables with a label issue of their own (``real_tables.LABEL_ISSUES``) count apart, as in ``bench_decisions.py``.

    python benchmarks/bench_seeds.py --seeds 3 --out seeds.jsonl       # fit: about 45 min on 2 cores, then replay
    python benchmarks/bench_seeds.py --replay seeds.jsonl --set gap.cost_margin=0 --set gap.cost_margin=1.5
    python benchmarks/bench_seeds.py --replay benchmarks/results/seeds.jsonl --compare benchmarks/results/decisions.json

``benchmarks/results/seeds.jsonl`` is the fit of the 31 tables of the stored decision benchmark (all but ``digits``),
3 seeds, 390 cases (at ``0ab4079a``; the per-fold scores do not depend on the gap rule's settings). It was fitted
before the fits ran with ``max_repeats = 0``: 50 of its cases have 30 to 45 folds, and the replay uses the first 25.
    python benchmarks/bench_seeds.py --tables iris,wine --seeds 2 --out small.jsonl --set gap.max_cost=0.02
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
import tomllib
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_decisions
import real_tables

#: Folds per repeat of k-fold (the default ``--folds``).
FOLDS = 5

#: The policy of a fit: the default one but ``[gap] max_repeats`` (the folds are all fitted up front).
NO_ADDED_REPEATS = "[gap]\nmax_repeats = 0\n"


# --- fit ------------------------------------------------------------------------------------------------------------


def fit_case(case: bench_decisions.Case, *, max_rows: int | None, repeats: int) -> dict[str, Any]:
    """Run one case with ``repeats`` repeats of k-fold up front; its per-fold scores as a JSON-ready mapping."""
    from gapgates import run_check
    from gapgates.config import CheckConfig

    base = {"table": case.table, "model": case.model, "fault": case.fault, "seed": case.seed}
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="gapgates-bench-seeds-"))
    try:
        prepared = bench_decisions.prepare(case, max_rows)
        data = workdir / "data.csv"
        prepared.data.to_csv(data, index=False)
        policy = workdir / "policy.toml"  # the default policy, with the folds fixed up front: no repeat added on top
        policy.write_text(NO_ADDED_REPEATS, encoding="utf-8")
        config = CheckConfig(
            data=data,
            target=prepared.target,
            model=bench_decisions.model_spec(case.model, case.task),
            name=f"{case.model}-{case.fault}",
            seed=case.seed,
            repeats=repeats,
            policy=policy,
            max_fits=10**6,
            n_jobs=1,
            out=None,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_check(config)
        ev = result.evidence
        p = ev.gap.primary
        splits = ev.gap.cv.splits
        strong = ev.strong_baseline
        return {
            **base,
            "task": case.task,
            "metric": p.metric,
            "classification": ev.gap.classification,
            "train": list(map(float, p.train)),
            "test": list(map(float, p.test)),
            "sizes": [[len(tr), len(te)] for tr, te in splits],
            "references": []
            if strong is None
            else [
                {"name": r.name, "train": list(map(float, r.train[p.metric])), "test": list(map(float, r.test[p.metric]))}
                for r in strong.references
                if p.metric in r.test
            ],
            "others_failed": [
                c.name for c in result.decision.checks if c.status.value == "fail" and not c.name.startswith("gap:")
            ],
            "seconds": round(time.perf_counter() - start, 2),
        }
    except Exception as err:  # one case never stops the run
        return {**base, "error": f"{type(err).__name__}: {str(err)[:200]}", "seconds": round(time.perf_counter() - start, 2)}
    finally:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()


def _fit(args: tuple[bench_decisions.Case, int | None, int]) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    case, max_rows, repeats = args
    return fit_case(case, max_rows=max_rows, repeats=repeats)


def fit_all(cases: Sequence[bench_decisions.Case], *, workers: int, max_rows: int | None, repeats: int, out: Path) -> list[dict]:
    """Fit every case (``workers`` processes), writing each line to ``out`` as it finishes."""
    jobs = [(c, max_rows, repeats) for c in cases]
    found = []
    with out.open("w", encoding="utf-8") as sink:
        results: Iterable[dict[str, Any]]
        if workers == 1:
            results = map(_fit, jobs)
        else:
            pool = ProcessPoolExecutor(workers)
            results = pool.map(_fit, jobs)
        for i, line in enumerate(results, 1):
            sink.write(json.dumps(line) + "\n")
            sink.flush()
            found.append(line)
            what = f"{line['table']:<24} {line['model']:<6} {line['fault']:<8} seed {line['seed']}"
            print(f"[{i:>4}/{len(jobs)}] {what} {line.get('error') or ''} ({line['seconds']:.1f} s)", flush=True)
        if workers != 1:
            pool.shutdown()
    return found


# --- replay ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replayed:
    """One case's decision under a policy, replayed from its per-fold scores.

    Attributes:
        blocked: The gap check failed, or another check failed in the fitted run.
        gap_failed: The gap check failed.
        regime: The gap check's regime (None: within its limit, or judged without context).
        folds: The folds the adaptive repeats reached.
        test_mean: The candidate's mean test score on those folds.
    """

    blocked: bool
    gap_failed: bool
    regime: str | None
    folds: int
    test_mean: float


def _evidence(case: dict[str, Any], folds: int, confidence: float) -> tuple[Any, Any]:
    """The gap and the strong baseline of a case's first ``folds`` folds."""
    from gapgates.compute.baseline import ReferenceScores, StrongBaselineResult
    from gapgates.compute.crossval import CrossValidation, GapResult, summarize_gap

    metric, sizes = case["metric"], case["sizes"][:folds]
    n_train, n_test = float(np.mean([s[0] for s in sizes])), float(np.mean([s[1] for s in sizes]))
    splits = [(np.arange(tr), np.arange(te)) for tr, te in sizes]
    g = summarize_gap(metric, case["train"][:folds], case["test"][:folds], n_train=n_train, n_test=n_test, confidence=confidence)
    cv = CrossValidation(splits=splits, estimators=(), classes=None, oof_proba=None, oof_pred=None, covered=None, fit_seconds=0.0)
    gap = GapResult(metrics={metric: g}, classification=case["classification"], n_folds=folds, confidence=confidence, cv=cv)
    if not case["references"]:
        return gap, None
    references = tuple(
        ReferenceScores(r["name"], r["name"], train={metric: tuple(r["train"][:folds])}, test={metric: tuple(r["test"][:folds])})
        for r in case["references"]
    )
    best = max(references, key=lambda r: r.test_mean(metric)).name
    strong = StrongBaselineResult(references=references, best=best, metric=metric, n_train=n_train, n_test=n_test, fits=0)
    return gap, strong


def replay(case: dict[str, Any], policy: Any) -> Replayed:
    """The gap decision of one fitted case under ``policy``, with the adaptive repeats the policy allows.

    Args:
        case: A line of the fitted cases (:func:`fit_case`).
        policy: The policy (:class:`gapgates.judge.policy.Policy`).

    Returns:
        The replayed decision.
    """
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.rules import evaluate
    from gapgates.judge.straddles import undecided, undecided_costs

    fitted = len(case["test"])
    most = min(fitted, FOLDS * (1 + policy.gap.max_repeats))  # a variant asking for more folds than were fitted: capped
    folds = min(FOLDS, fitted)
    while True:
        gap, strong = _evidence(case, folds, policy.gap.confidence)
        more = folds + FOLDS <= most and bool(undecided(policy, gap) or undecided_costs(policy, gap, strong, most_folds=most))
        if not more:
            break
        folds += FOLDS
    checks = evaluate(policy, Evidence(gap=gap, strong_baseline=strong)).checks
    check = next(c for c in checks if c.name == f"gap:{case['metric']}")
    failed = check.status.value == "fail"
    return Replayed(
        blocked=failed or bool(case["others_failed"]),
        gap_failed=failed,
        regime=check.regime,
        folds=folds,
        test_mean=float(np.mean(case["test"][:folds])),
    )


def rates(cases: Sequence[dict[str, Any]], policy: Any) -> dict[str, Any]:
    """The seed splits and decision rates of every fitted case replayed under ``policy``."""
    decided = {(c["table"], c["model"], c["fault"], c["seed"]): replay(c, policy) for c in cases if "error" not in c}
    seeds = sorted({k[3] for k in decided})
    best: dict[tuple[str, int], float] = defaultdict(lambda: -np.inf)
    for (table, _, fault, seed), r in decided.items():
        if fault == "healthy":
            best[table, seed] = max(best[table, seed], r.test_mean)
    by_pair: dict[tuple[str, str, str], dict[int, bool]] = defaultdict(dict)
    for (table, model, fault, seed), r in decided.items():
        by_pair[table, model, fault][seed] = r.blocked
    splits = {
        (a, b): sum(1 for d in by_pair.values() if a in d and b in d and d[a] != d[b])
        for a, b in itertools.combinations(seeds, 2)
    }
    clean = {k: r for k, r in decided.items() if k[0] not in real_tables.LABEL_ISSUES}
    bic = [r for k, r in clean.items() if k[2] == "healthy" and r.test_mean >= best[k[0], k[3]] - 0.01]
    planted = [r for k, r in clean.items() if k[2] == "overfit" and r.test_mean <= best[k[0], k[3]] - 0.02]
    healthy = [r for k, r in clean.items() if k[2] == "healthy"]
    return {
        "pairs": len(by_pair),
        "splits": {f"{a},{b}": n for (a, b), n in splits.items()},
        "split_on_any": sum(1 for d in by_pair.values() if len(set(d.values())) > 1),
        "split_pairs": sorted("/".join(k) for k, d in by_pair.items() if len(set(d.values())) > 1),
        "best_in_class_blocked": [sum(r.blocked for r in bic), len(bic)],
        "overfit_blocked_by_gap": [sum(r.gap_failed for r in planted), len(planted)],
        "healthy_blocked": [sum(r.blocked for r in healthy), len(healthy)],
        "folds": sum(r.folds for r in decided.values()),
    }


def variant_policy(settings: str) -> Any:
    """The default policy with ``settings`` (``section.key=value``, comma-separated; TOML values) applied."""
    from gapgates.judge.policy import load_policy, parse_policy

    data = load_policy(None).model_dump(mode="json")
    for item in filter(None, (s.strip() for s in settings.split(","))):
        key, _, value = item.partition("=")
        section, _, name = key.strip().partition(".")
        if not name or section not in data:
            raise SystemExit(f"--set takes section.key=value (e.g. gap.cost_margin=0), got {item!r}")
        data[section][name] = tomllib.loads(f"v = {value.strip()}")["v"]
    return parse_policy(data, source=f"--set {settings}")


def report(cases: Sequence[dict[str, Any]], variants: Sequence[str]) -> list[dict[str, Any]]:
    """Replay every variant and print its line; the rates per variant."""
    found = []
    for settings in variants:
        r = rates(cases, variant_policy(settings))
        found.append({"set": settings or "(default policy)", **r})
        splits = ", ".join(f"seeds {k}: {v}" for k, v in r["splits"].items())
        bic, ov, hb = r["best_in_class_blocked"], r["overfit_blocked_by_gap"], r["healthy_blocked"]
        print(
            f"{settings or '(default policy)':<32} split pairs of {r['pairs']}: {splits}; on any seed {r['split_on_any']} | "
            f"best-in-class blocked {bic[0]}/{bic[1]} | planted overfit blocked {ov[0]}/{ov[1]} | "
            f"healthy blocked {hb[0]}/{hb[1]} | folds {r['folds']}"
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Fit (or read) the cases, replay the variants, print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="fold seeds per case (default 3)")
    parser.add_argument("--tables", help="comma-separated tables (default: those of bench_decisions.py)")
    parser.add_argument("--max-rows", type=int, default=5000, help="subsample larger tables to this many rows (0: never)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the fits")
    parser.add_argument("--out", type=Path, default=Path("seeds.jsonl"), help="where the fitted cases go (JSON lines)")
    parser.add_argument("--replay", type=Path, metavar="JSONL", help="fit nothing: replay the cases of an earlier --out")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="JSON",
        help="a bench_decisions.py --out file: count how many of its healthy and overfit cases the default policy's "
        "replay decides alike (outcome and folds reached)",
    )
    parser.add_argument(
        "--set",
        dest="variants",
        action="append",
        metavar="SECTION.KEY=VALUE[,...]",
        help="a policy variant to replay (repeatable; the default policy is always replayed first)",
    )
    args = parser.parse_args(argv)
    for name in ("GAPGATES_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if args.replay is not None:
        cases = [json.loads(line) for line in args.replay.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from gapgates.judge.policy import load_policy

        tables = [t.strip() for t in args.tables.split(",")] if args.tables else [*real_tables.TABLES, *real_tables.LEAKY_TABLES]
        planned = bench_decisions.plan(
            tables,
            seeds=args.seeds,
            fault_seeds=1,
            fault_model="hgb",
            max_rows=args.max_rows or None,
            faults=("healthy", "overfit"),
        )
        planned = [c for c in planned if c.fault in ("healthy", "overfit")]
        repeats = 1 + load_policy(None).gap.max_repeats
        print(f"{len(planned)} cases, {args.seeds} seeds, {FOLDS * repeats} folds each; {args.workers} worker(s)", flush=True)
        start = time.perf_counter()
        cases = fit_all(planned, workers=args.workers, max_rows=args.max_rows or None, repeats=repeats, out=args.out)
        print(f"fitted in {(time.perf_counter() - start) / 60:.1f} min; cases in {args.out}")
    errors = [c for c in cases if "error" in c]
    print(f"{len(cases)} cases, {len(errors)} errors")
    if args.compare is not None:
        print(agreement(cases, args.compare))
    report(cases, ["", *(args.variants or [])])
    return 0


def agreement(cases: Sequence[dict[str, Any]], stored: Path) -> str:
    """How many cases of a ``bench_decisions.py`` run the default policy's replay decides alike, in one line."""
    from gapgates.judge.policy import load_policy

    policy = load_policy(None)
    run = {(c["table"], c["model"], c["fault"], c["seed"]): c for c in json.loads(stored.read_text(encoding="utf-8"))["cases"]}
    alike, differ = 0, []
    for case in cases:
        known = run.get((case["table"], case["model"], case["fault"], case["seed"]))
        if known is None or "error" in case or known.get("error"):
            continue
        r = replay(case, policy)
        if (known["outcome"] == "block") == r.blocked and known["folds"] == r.folds:
            alike += 1
        else:
            differ.append(f"{case['table']}/{case['model']}/{case['fault']}/{case['seed']}")
    more = f"; differ: {', '.join(differ[:10])}" if differ else ""
    return f"replay vs {stored}: {alike} of {alike + len(differ)} cases decided alike (outcome and folds){more}"


if __name__ == "__main__":
    raise SystemExit(main())
