"""``gapgates check`` imports the registry code only with ``--registry`` (the read-only commands are in
``tests/unit/test_lazy_imports.py``): a fresh interpreter runs the command and reports what it imported."""

from __future__ import annotations

from tests.unit.test_lazy_imports import loaded_after

#: The registry code: the package (its backends, the directory registry) and the training sample it stores.
REGISTRY = ("gapgates.registry", "gapgates.registry.local", "gapgates.registry.backends", "gapgates.registry.sample")


def check_args(data: str, out: str, *extra: str) -> list[str]:
    model = ["--model", "sklearn.linear_model.LogisticRegression", "--param", "max_iter=2000"]
    return ["check", "--data", data, "--target", "target", *model, "--folds", "3", "--out", out, *extra]


def test_check_without_registry_imports_no_registry_code(cancer_csv, tmp_path):
    args = check_args(str(cancer_csv), str(tmp_path / "out"), "--history", str(tmp_path / "history.sqlite"))
    _, loaded = loaded_after(*args, heavy=(*REGISTRY, "great_expectations"), ok=(0, 1))
    assert loaded == ["great_expectations"]  # the quality gate ran; the registry code was never imported


def test_check_with_registry_imports_it(cancer_csv, tmp_path):
    args = check_args(str(cancer_csv), str(tmp_path / "out"), "--registry", str(tmp_path / "registry"))
    _, loaded = loaded_after(*args, heavy=REGISTRY, ok=(0, 1))
    assert set(loaded) == set(REGISTRY)
    assert (tmp_path / "registry").is_dir()
