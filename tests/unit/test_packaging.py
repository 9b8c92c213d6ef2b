"""pyproject.toml lists every package by hand: a new subpackage cannot be left out of the wheel silently.

(The wheel itself is built, installed into a fresh virtualenv and run in tests/e2e/test_packaging.py.)"""

from __future__ import annotations

from tests.helpers import ROOT, package_dirs, pyproject, source_files


def test_pyproject_packages_cover_every_package_directory():
    """A new subpackage cannot be left out of the wheel silently: ``packages`` is written out by hand."""
    dirs = package_dirs()
    assert {"gapgates", "flows", "deployments"} <= {d.name for d in dirs.values()}
    found, loose = set(), []
    for name, base in dirs.items():
        for directory in sorted({p.parent for p in source_files(base)}):
            rel = directory.relative_to(base).parts
            if (directory / "__init__.py").is_file():
                found.add(".".join((name, *rel)))
            elif any(directory.glob("*.py")):
                loose.append(str(directory.relative_to(ROOT)))  # a namespace package: would also be left out
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    assert not found - listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
    assert not listed - found, f"listed in pyproject.toml but no such package directory: {sorted(listed - found)}"
    assert not loose, f"directories with .py files but no __init__.py: {loose}"
