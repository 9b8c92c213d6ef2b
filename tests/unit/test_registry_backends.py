"""The backend table: a location chooses its backend, callers ask it what they need, a new backend is one registration."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapgates.config import CheckConfig, history_location, load_config, merge_config
from gapgates.errors import ConfigError, RegistryError
from gapgates.registry import BACKENDS, Backend, LocalRegistry, backend_for, open_registry, register_backend, registry_class
from gapgates.registry import backends as backends_module


class ScratchRegistry(LocalRegistry):
    """A new backend for these tests: a directory named by a ``scratch:`` URI, with named aliases."""

    def __init__(self, path: str | Path, *, model_name: str | None = None, alias: str = "champion", **options) -> None:
        super().__init__(path, **options)
        self.model_name, self.alias = model_name, alias


SCRATCH = Backend(
    "scratch",
    f"{__name__}:ScratchRegistry",
    example=lambda tmp: f"scratch:{tmp / 'store'}",
    prefix="scratch:",
    takes_alias=True,
)


@pytest.fixture
def scratch(monkeypatch):
    monkeypatch.setattr(backends_module, "BACKENDS", dict(BACKENDS))  # registrations here do not outlive the test
    return register_backend(SCRATCH)


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("mlflow:sqlite:///mlflow.db", "mlflow"),
        ("mlflow:", "mlflow"),
        ("registry", "directory"),
        ("/srv/registry", "directory"),
        (Path("registry"), "directory"),
        ("mlflowdb", "directory"),  # no scheme: a path
        ("sqlite:///mlflow.db", "directory"),  # MLflow's URI without gapgates' prefix is a path, as before
    ],
)
def test_a_location_chooses_its_backend(location, name):
    assert backend_for(location).name == name


def test_what_callers_ask_of_the_built_in_backends():
    directory, mlflow = BACKENDS["directory"], BACKENDS["mlflow"]
    assert directory.local_path("reg/x") == Path("reg/x") and mlflow.local_path("mlflow:sqlite:///m.db") is None
    assert mlflow.address("mlflow:sqlite:///m.db") == "sqlite:///m.db" and directory.address(Path("reg")) == "reg"
    assert (directory.keeps_history, directory.one_model, directory.takes_alias) == (True, True, False)
    assert (mlflow.keeps_history, mlflow.one_model, mlflow.takes_alias, mlflow.requires) == (False, False, True, ("mlflow",))
    assert registry_class(directory) is LocalRegistry


def test_the_mlflow_class_is_imported_only_when_opened():
    import subprocess
    import sys

    code = "import gapgates.config, gapgates.registry, sys; print('gapgates.registry.mlflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize(
    ("backend", "match"),
    [
        (Backend("mlflow", "x:Y", str, prefix="other:"), "named 'mlflow' is already registered"),
        (Backend("other", "x:Y", str, prefix="mlflow:"), "'mlflow' already opens the prefix 'mlflow:'"),
        (Backend("other", "x:Y", str), "'directory' already opens filesystem paths"),
        (Backend("other", "x:Y", str, prefix="other"), "must be a scheme like 'mlflow:'"),
        (Backend("other", "x:Y", str, prefix="C:"), "must be a scheme like 'mlflow:'"),
        (Backend("other", "x:Y", str, prefix="other:", keeps_history=True), "needs directory=True"),
    ],
)
def test_register_backend_refuses_a_conflict(scratch, backend, match):
    with pytest.raises(ValueError, match=match):
        register_backend(backend)
    assert backend_for("scratch:x") is SCRATCH and backend_for("x").name == "directory"


def test_a_backend_may_be_replaced_and_unregistered(scratch):
    changed = register_backend(Backend("scratch", SCRATCH.target, SCRATCH.example, prefix="scratch:"), replace=True)
    assert backend_for("scratch:x") is changed
    backends_module.unregister_backend("scratch")
    backends_module.unregister_backend("scratch")  # no error the second time
    assert backend_for("scratch:x").name == "directory"


def test_a_new_backend_is_one_registration(scratch, tmp_path):
    location = SCRATCH.example(tmp_path)
    registry = open_registry(location, model_name="clf", alias="nightly", lock_timeout=5.0)
    assert isinstance(registry, ScratchRegistry)
    assert (registry.root, registry.model_name, registry.alias) == (tmp_path / "store", "clf", "nightly")
    assert registry.lock_timeout == 5.0  # the other options reach the class
    with pytest.raises(RegistryError, match="--registry used by 'check'"):
        open_registry(location, must_exist=True)
    # the config asks the backend, not a name: an alias is accepted, the URI is neither a history directory nor a path
    config = CheckConfig(data="d.csv", target="y", model="m.M", registry=location, alias="nightly", out=tmp_path / "out")
    assert config.history_path == tmp_path / "history.sqlite"
    (tmp_path / "gg.toml").write_text('registry = "scratch:store"\nhistory = "h.sqlite"\n')
    assert load_config(tmp_path / "gg.toml") == {"registry": "scratch:store", "history": str(tmp_path / "h.sqlite")}


def test_the_config_asks_the_backends(tmp_path):
    options = {"data": "d.csv", "target": "y", "model": "m.M", "alias": "nightly"}
    with pytest.raises(ConfigError, match="'alias' applies to an mlflow: registry only"):
        merge_config(options={**options, "registry": "registry"})
    with pytest.raises(ConfigError, match="'alias' applies to an mlflow: registry only"):
        merge_config(options=options)
    assert merge_config(options={**options, "registry": "mlflow:sqlite:///m.db"}).alias == "nightly"
    assert history_location(None, registry="reg", out="out") == Path("reg/history.sqlite")
    assert history_location(None, registry="mlflow:sqlite:///m.db", out="run/out") == Path("run/history.sqlite")
    (tmp_path / "gg.toml").write_text('registry = "reg"\n')
    assert load_config(tmp_path / "gg.toml") == {"registry": str(tmp_path / "reg")}
    (tmp_path / "gg.toml").write_text('registry = "mlflow:sqlite:///m.db"\n')
    assert load_config(tmp_path / "gg.toml") == {"registry": "mlflow:sqlite:///m.db"}


def test_open_registry_refuses_an_alias_for_a_backend_without_one(tmp_path):
    with pytest.raises(ConfigError, match=r"a directory registry has none\. .* Drop it, or use an mlflow: registry\."):
        open_registry(tmp_path / "reg", alias="nightly")
    assert not (tmp_path / "reg").exists()


def test_no_backend_for_a_path_when_none_takes_paths(monkeypatch):
    monkeypatch.setattr(backends_module, "BACKENDS", {"mlflow": BACKENDS["mlflow"]})
    with pytest.raises(RegistryError, match=r"No registry backend opens 'registry'\. Registered prefixes: mlflow:\."):
        backend_for("registry")


def test_a_backend_naming_something_else_than_a_registry_is_refused():
    with pytest.raises(TypeError, match="not a Registry subclass"):
        registry_class(Backend("broken", "pathlib:Path", str, prefix="broken:"))
