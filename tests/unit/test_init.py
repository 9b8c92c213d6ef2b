import importlib

import gapgates


def test_public_api_is_listed_and_importable():
    assert gapgates.__version__ == "0.1.0"
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
