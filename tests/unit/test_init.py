import importlib

import gapgates


def test_public_api_is_listed_and_importable():
    assert "__version__" in gapgates.__all__
    for name in gapgates.__all__:
        assert getattr(gapgates, name) is not None, name
    module = importlib.import_module("gapgates.compute.crossval")  # importing it must not shadow the gap() function
    assert gapgates.gap is module.gap
    assert gapgates.Outcome.PROMOTE.value == "promote"


def test_core_library_never_imports_prefect():
    from pathlib import Path

    root = Path(gapgates.__file__).parent
    offenders = [p.name for p in root.rglob("*.py") if any(s in p.read_text() for s in ("import prefect", "from prefect"))]
    assert offenders == []


def test_no_export_is_shadowed_by_a_module_after_importing_every_submodule():
    import pkgutil
    import types

    for info in pkgutil.walk_packages(gapgates.__path__, prefix="gapgates."):
        if info.name.startswith(("gapgates.flows", "gapgates.deployments", "gapgates.registry.mlflow")):
            continue  # Prefect and MLflow are optional here; their names are checked below
        importlib.import_module(info.name)
    for name in gapgates.__all__:
        value = getattr(gapgates, name)
        assert not isinstance(value, types.ModuleType), f"gapgates.{name} is a module"
    assert callable(gapgates.baseline) and callable(gapgates.enforce) and callable(gapgates.publish)


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert gapgates.__version__ == version("gapgates")
