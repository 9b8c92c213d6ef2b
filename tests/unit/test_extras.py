"""Optional parts without their extra: one line naming ``pip install 'gapgates[<extra>]'``, exit 2.

The real environment without Prefect (the wheel in a clean venv) is in tests/e2e/test_packaging.py; here the
same paths run in-process with the module hidden (``sys.modules[name] = None`` is what "not installed" looks
like to ``importlib``).
"""

from __future__ import annotations

import importlib
import sys

import pytest

from gapgates.errors import ConfigError, MissingDependencyError, require
from tests.helpers import invoke


def test_require_names_the_extra_and_is_a_config_and_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "prefect", None)
    with pytest.raises(MissingDependencyError, match=r"gapgates run needs prefect.*pip install 'gapgates\[prefect\]'"):
        require("prefect", extra="prefect", needed_for="gapgates run")
    assert issubclass(MissingDependencyError, ConfigError) and issubclass(MissingDependencyError, ImportError)
    require("json", extra="none", needed_for="nothing")  # installed: no error


def test_importing_the_flows_without_prefect_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "prefect", None)
    monkeypatch.delitem(sys.modules, "gapgates.flows", raising=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'gapgates\[prefect\]'"):
        importlib.import_module("gapgates.flows")


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--data", "nowhere.csv", "--target", "y", "--model", "sklearn.tree.DecisionTreeClassifier"],
        ["approve", "run-id", "--approver", "me"],
        ["reject", "run-id", "--approver", "me"],
    ],
    ids=["run", "approve", "reject"],
)
def test_prefect_commands_without_prefect_are_bad_input_naming_the_extra(monkeypatch, args):
    monkeypatch.setitem(sys.modules, "prefect", None)
    monkeypatch.delitem(sys.modules, "gapgates.flows", raising=False)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"gapgates {args[0]} needs prefect" in lines[0], result.stderr
    assert "pip install 'gapgates[prefect]'" in lines[0]
    # run refuses before it reads anything: the missing data file is not what it reports
    assert "nowhere.csv" not in lines[0]
