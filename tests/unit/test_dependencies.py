"""The dependency guard: the installed versions are the lock's, and the lock satisfies what pyproject.toml declares.

``make demo``, ``make test`` and CI install ``requirements.lock`` (exact versions), so a new upstream release
changes nothing until someone refreshes the lock (``make lock``) and the suite passes on it. The guard never
compares with the calendar: only the installed environment with the lock, and the lock with the declared
ranges. ``make test-latest`` runs the suite on the newest allowed releases; it sets ``GAPGATES_UNLOCKED=1``,
which turns off only the installed-equals-lock check.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import pyproject
from tests.lock import LOCK, differences, locked_versions

PROJECT = pyproject()["project"]
#: What the Prefect flows need and the library must not force on its users (the issue of a web-framework pin
#: for a gap computation).
ORCHESTRATION = {"prefect", "fastapi", "sqlalchemy"}


def _declared() -> list[tuple[str, Requirement]]:
    """``(extra or "", requirement)`` for every dependency pyproject.toml declares (self-references skipped)."""
    found = [("", Requirement(d)) for d in PROJECT["dependencies"]]
    for extra, deps in PROJECT["optional-dependencies"].items():
        found += [(extra, Requirement(d)) for d in deps]
    return [(extra, req) for extra, req in found if canonicalize_name(req.name) != "gapgates"]


@pytest.mark.skipif(bool(os.environ.get("GAPGATES_UNLOCKED")), reason="make test-latest: newer releases are the point")
def test_installed_versions_are_the_locked_ones():
    moved = [(n, lock, inst) for n, lock, inst in differences() if inst is not None]
    assert not moved, (
        "installed versions differ from requirements.lock (install with `make test`, or refresh the lock with "
        f"`make lock` and run the suite): {moved}"
    )


@pytest.mark.parametrize("extra,req", _declared(), ids=lambda v: str(v) if isinstance(v, Requirement) else v or "core")
def test_the_lock_satisfies_every_declared_range(extra, req):
    """A declared range the lock violates (or a dependency added without refreshing the lock) fails here."""
    if req.marker is not None and not req.marker.evaluate({"extra": extra}):
        pytest.skip(f"{req} does not apply to this Python")
    locked = locked_versions()
    name = canonicalize_name(req.name)
    assert name in locked, f"{req.name} is declared but not in requirements.lock: run `make lock`"
    assert req.specifier.contains(locked[name], prereleases=True), (
        f"requirements.lock has {req.name}=={locked[name]}, outside the declared {req} ([{extra or 'core'}])"
    )


def test_the_core_library_declares_no_orchestration_pins():
    core = {canonicalize_name(Requirement(d).name) for d in PROJECT["dependencies"]}
    assert not core & ORCHESTRATION, f"move to the [prefect] extra: {sorted(core & ORCHESTRATION)}"
    prefect_extra = {canonicalize_name(Requirement(d).name) for d in PROJECT["optional-dependencies"]["prefect"]}
    assert prefect_extra >= ORCHESTRATION


def test_the_declared_ranges_of_one_distribution_agree():
    """Two declarations of one distribution (core and an extra, or two extras) must leave some version: the lock's."""
    locked = locked_versions()
    by_name: dict[str, list[Requirement]] = {}
    for _, req in _declared():
        by_name.setdefault(canonicalize_name(req.name), []).append(req)
    shared = {name: reqs for name, reqs in by_name.items() if len(reqs) > 1}
    assert shared, "expected a distribution declared twice (sqlalchemy: [prefect] and [mlflow])"
    for name, reqs in shared.items():
        assert all(r.specifier.contains(locked[name], prereleases=True) for r in reqs), (name, [str(r) for r in reqs])


def test_lock_reading_evaluates_markers_and_pins(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# header\nnumpy==1.0 ; python_full_version < '3.0'\nnumpy==2.0 ; python_full_version >= '3.0'\n"
        "pandas==3.1.1\n    # via gapgates\n",
        encoding="utf-8",
    )
    assert locked_versions(lock) == {"numpy": "2.0", "pandas": "3.1.1"}
    lock.write_text("pandas>=3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="exact pin"):
        locked_versions(lock)


def test_pip_is_pinned_in_the_makefile_like_everything_else():
    from tests.helpers import ROOT

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    try:
        installed = version("pip")
    except PackageNotFoundError:  # pragma: no cover - a venv without pip
        pytest.skip("pip is not installed here")
    if os.environ.get("GAPGATES_UNLOCKED"):
        pytest.skip("make test-latest upgrades pip")
    assert f"PIP_VERSION := {installed}" in makefile
    assert LOCK.name in makefile
