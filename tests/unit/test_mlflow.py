"""MlflowRegistry without the mlflow extra: one clear install hint (the registry itself is in tests/integration)."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import sqlite_uri


def test_mlflow_missing_extra_gives_install_hint(monkeypatch, tmp_path):
    from gapgates.registry.mlflow import MlflowRegistry

    monkeypatch.setitem(sys.modules, "mlflow", None)  # what an environment without the extra looks like
    with pytest.raises(ImportError, match=r"pip install 'gapgates\[mlflow\]'"):
        MlflowRegistry(sqlite_uri(tmp_path))
