"""The strong baseline's folds kept on disk (``GAPGATES_CACHE_DIR``): read by another process instead of fitted, keyed
on every input that decides them, never trusted when unreadable, bounded, and refused in a directory others may write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import pytest
from sklearn.datasets import load_iris

import gapgates.compute.baseline as baseline
from gapgates.compute import disk_cache
from gapgates.compute.baseline import strong_baseline
from gapgates.data.splits import make_splits
from gapgates.errors import ConfigError
from tests.helpers import ROOT

#: Scores the strong baseline of iris on 3 folds in a fresh process and prints its fits and scores as JSON.
SCORE = textwrap.dedent(
    """
    import json, sys
    from sklearn.datasets import load_iris
    from gapgates.compute.baseline import strong_baseline
    from gapgates.data.splits import make_splits

    X, y = load_iris(return_X_y=True, as_frame=True)
    if len(sys.argv) > 1:
        y = y.copy(); y.iloc[int(sys.argv[1])] = (y.iloc[int(sys.argv[1])] + 1) % 3  # one label changed
    folds = make_splits(X, y, classification=True, n_splits=3, n_repeats=1, seed=0)
    s = strong_baseline(X, y, splits=folds, scoring=["accuracy", "f1_macro"], classification=True, confident_share=0.3)
    print(json.dumps({"fits": s.fits, "references": [r.to_dict() for r in s.references]}))
    """
)


def _score_in_a_process(cache: Path | None, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != disk_cache.ENV}
    if cache is not None:
        env[disk_cache.ENV] = str(cache)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", SCORE, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_reads_the_folds_the_first_one_fitted(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _score_in_a_process(cache)
    assert first["fits"] == 9  # 3 references × 3 folds
    assert len(list(cache.glob("*.npz"))) == 9
    second = _score_in_a_process(cache)
    assert second["fits"] == 0
    assert second["references"] == first["references"]  # scores and the references' view of the labels alike
    assert _score_in_a_process(None) == {**first, "fits": 9}  # and what a process without the cache computes
    changed = _score_in_a_process(cache, "7")  # one label of the data changed: every fold is fitted again
    assert changed["fits"] == 9 and changed["references"] != first["references"]


@pytest.fixture
def iris() -> tuple:
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y, make_splits(X, y, classification=True, n_splits=3, n_repeats=1, seed=0)


def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing cached in this process (as in a new one)."""
    monkeypatch.setattr(baseline, "_CACHE", OrderedDict())
    monkeypatch.setattr(baseline, "_cached_bytes", 0)


def test_unset_it_writes_nothing(iris, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(disk_cache.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    _fresh(monkeypatch)
    X, y, folds = iris
    assert strong_baseline(X, y, splits=folds, scoring=["accuracy"], classification=True, models=["linear"]).fits == 3
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_or_foreign_entry_is_fitted_again(iris, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    X, y, folds = iris
    kwargs = {"splits": folds, "classification": True, "models": ["linear"], "confident_share": 0.3}
    _fresh(monkeypatch)
    first = strong_baseline(X, y, scoring=["accuracy"], **kwargs)
    entries = sorted(tmp_path.glob("*.npz"))
    assert first.fits == 3 and len(entries) == 3
    entries[0].write_bytes(b"PK\x03\x04 not a zip")  # a torn or damaged file
    entries[1].write_bytes(entries[1].read_bytes()[:40])
    _fresh(monkeypatch)
    again = strong_baseline(X, y, scoring=["accuracy"], **kwargs)
    assert again.fits == 2 and again.references == first.references
    _fresh(monkeypatch)
    assert strong_baseline(X, y, scoring=["accuracy"], **kwargs).fits == 0  # rewritten by the refit
    _fresh(monkeypatch)
    assert strong_baseline(X, y, scoring=["balanced_accuracy"], **kwargs).fits == 3  # other metrics: other keys
    monkeypatch.setattr(disk_cache, "_versions", b"another scikit-learn")  # a new release may fit differently
    _fresh(monkeypatch)
    assert strong_baseline(X, y, scoring=["accuracy"], **kwargs).fits == 3


def test_the_least_recently_used_entries_go_first_past_the_bound(iris, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    X, y, folds = iris
    _fresh(monkeypatch)
    strong_baseline(X, y, splits=folds, scoring=["accuracy"], classification=True, models=["linear"])
    size = max(p.stat().st_size for p in tmp_path.glob("*.npz"))
    old = set(tmp_path.glob("*.npz"))
    for i, path in enumerate(sorted(old)):
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # long unused
    monkeypatch.setattr(disk_cache, "MAX_BYTES", 4 * size)
    _fresh(monkeypatch)
    strong_baseline(X, y, splits=folds, scoring=["accuracy"], classification=True, models=["forest"])
    kept = set(tmp_path.glob("*.npz"))
    assert len(kept) == 4 and len(kept - old) == 3  # the forest's 3 new folds, and the newest of the old ones
    assert kept & old == {sorted(old)[-1]}


def test_a_directory_others_may_write_is_refused(iris, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(disk_cache.ENV, str(shared))
    monkeypatch.setattr(disk_cache, "_checked", {})
    X, y, folds = iris
    _fresh(monkeypatch)
    with pytest.raises(ConfigError, match=r"writable by others.*chmod go-w"):
        strong_baseline(X, y, splits=folds, scoring=["accuracy"], classification=True, models=["linear"])
    assert list(shared.iterdir()) == []
    a_file = tmp_path / "file"
    a_file.write_text("x")
    monkeypatch.setenv(disk_cache.ENV, str(a_file))
    with pytest.raises(ConfigError, match=r"cannot be used|not a directory"):
        disk_cache.cache_dir()
