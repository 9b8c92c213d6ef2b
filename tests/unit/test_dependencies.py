"""Dependency drift: the resolved versions of the libraries gapgates drives stay in the ranges the suite was run on.

A fresh install resolves the newest releases; a new minor of Prefect, SQLAlchemy or FastAPI has
already broken the scheduler (no nightly run) and the API once. When this test fails, run the whole
suite (``make test``, including tests/e2e/test_schedule.py) on the new version; if it passes, widen
the range here, and if not, pin it in pyproject.toml with a comment naming the failure.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.helpers import pyproject

#: Distribution -> the versions the whole suite passed with (see the module docstring before widening one).
TESTED: dict[str, str] = {
    "prefect": ">=3.9.1,<3.10",
    "sqlalchemy": ">=2.1.9,<2.2",
    "fastapi": ">=0.150,<0.151",
    "great-expectations": ">=1.24,<1.25",
    "cleanlab": ">=2.9,<2.10",
    "scikit-learn": ">=1.9,<1.10",
    "pandas": ">=3.1,<3.2",
    "mlflow-skinny": ">=3.17,<3.18",
}


@pytest.mark.parametrize("name", sorted(TESTED))
def test_resolved_version_is_one_the_suite_was_run_with(name):
    try:
        resolved = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name} is not installed; install gapgates with the README's command: pip install -e '.[dev,mlflow]'")
    assert Version(resolved) in SpecifierSet(TESTED[name]), (
        f"{name} {resolved} is outside the tested range {TESTED[name]!r}. Run the whole suite with it, then widen "
        "TESTED in this file, or pin it in pyproject.toml with a comment naming the failure."
    )


def _upper(specifiers: SpecifierSet) -> Version:
    return min(Version(s.version) for s in specifiers if s.operator == "<")


@pytest.mark.parametrize("name", ["prefect", "sqlalchemy", "fastapi"])
def test_pins_in_pyproject_stay_inside_the_tested_range(name):
    """A pinned library: pip can pick no newer release than the suite was run with."""
    declared = next(d for d in pyproject()["project"]["dependencies"] if d.split("<")[0].split(">")[0] == name)
    allowed = SpecifierSet(declared.removeprefix(name))
    assert _upper(allowed) <= _upper(SpecifierSet(TESTED[name])), f"pyproject allows {name}{allowed}; tested {TESTED[name]}"
