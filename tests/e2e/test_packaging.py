"""Packaging: the wheel installs one top-level package, ``gapgates`` (flows and deployments inside it),
and the installed package works from a project that has its own ``flows/`` package.

The slow tests build the wheel once per session from a copy of the sources (so no ``build/`` or
``*.egg-info`` is written into the checkout, and no stale ``build/lib`` can leak into the wheel) and
install it with ``--no-deps`` into a fresh virtualenv. Its dependencies come from this test run's
environment through a ``.pth`` line naming that environment's site-packages: a path line in a
``.pth`` does not process that directory's own ``.pth`` files, so this checkout's editable install
stays invisible and ``gapgates`` can only come from the wheel (asserted, not assumed).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.helpers import ROOT, free_port, package_dirs, pyproject, python_example, source_files, stop_process, wait_healthy

PYPROJECT = pyproject()
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
#: The version this checkout was installed as (setuptools-scm, from git tags); the wheels built here carry it.
VERSION = importlib.metadata.version("gapgates")

DEPS_PTH = "_gapgates_test_dependencies.pth"  # the one file this test adds to the fresh site-packages


# --- slow: build, install into a fresh venv, run ------------------------------------------------


class FreshVenv(NamedTuple):
    python: Path
    bin: Path
    site_packages: Path


def _site_packages(python: Path) -> Path:
    """The purelib directory of the venv whose interpreter is ``python``."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip())


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The gapgates wheel, built once per session by ``pip wheel`` from a copy of what the build reads.

    An isolated PEP 517 build, like ``pip install .``: pip fetches setuptools from the package index
    (or its cache) into the build environment.
    """
    src = tmp_path_factory.mktemp("wheel-src")
    shutil.copy2(ROOT / "pyproject.toml", src)
    shutil.copy2(ROOT / PYPROJECT["project"]["readme"], src)
    for directory in set(SETUPTOOLS["package-dir"].values()):
        shutil.copytree(ROOT / directory, src / directory, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SETUPTOOLS_SCM_PRETEND_VERSION": VERSION},  # the copy has no .git to read tags from
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("gapgates-*.whl")
    return built


@pytest.fixture(scope="session")
def fresh_venv(wheel, tmp_path_factory) -> FreshVenv:
    """A new virtualenv (no pip in it) holding the wheel, installed with ``--no-deps``."""
    root = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = _site_packages(python)
    ours = sysconfig.get_paths()
    (site / DEPS_PTH).write_text("".join(f"{p}\n" for p in dict.fromkeys((ours["purelib"], ours["platlib"]))))
    return FreshVenv(python, root / "bin", site)


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No PYTHONPATH, no Prefect settings from outside: a temporary PREFECT_HOME and HOME (so ~/.prefect
    is provably untouched), and the settings tests/conftest.py gives the suite."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PREFECT_") and k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    }
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(
        HOME=str(tmp_path / "home"),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
        PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW="ignore",
        **extra,
    )
    return env


def _user_project(tmp_path: Path) -> Path:
    """A project with its own top-level ``flows`` package, the usual Prefect layout."""
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "__init__.py").write_text('MARKER = "user"\n')
    return project


def _readme_flow_example() -> str:
    """The docs' "your own flow" example: the same block tests/e2e/test_flows.py runs."""
    return python_example("def my_gate")


@pytest.mark.slow
def test_wheel_installs_gapgates_and_nothing_else(fresh_venv):
    site = fresh_venv.site_packages
    version = VERSION
    assert sorted(p.name for p in site.iterdir() if p.name != DEPS_PTH) == ["gapgates", f"gapgates-{version}.dist-info"]
    record = (site / f"gapgates-{version}.dist-info" / "RECORD").read_text().splitlines()
    outside = [line for line in record if not line.startswith(("gapgates/", f"gapgates-{version}.dist-info/"))]
    assert [Path(line.split(",")[0]).name for line in outside] == ["gapgates"]  # only the console script, in bin/
    assert (fresh_venv.bin / "gapgates").is_file()

    installed = {p.relative_to(site / "gapgates").as_posix() for p in source_files(site / "gapgates")}
    expected = {
        Path(*name.split(".")[1:], p.relative_to(base)).as_posix()
        for name, base in package_dirs().items()
        for p in source_files(base)
    }
    assert installed == expected  # every source file of gapgates/, flows/, deployments/ — and no other
    for path in (
        "flows/__init__.py",
        "flows/retrain.py",
        "flows/tasks.py",
        "deployments/__init__.py",
        "deployments/serve.py",
        "deployments/prefect.yaml",
        "deployments/gapgates.toml",
        "policies/default.toml",
        "policies/demo.toml",
        "report/templates/report.html.j2",
        "report/schemas/report.core.schema.json",
        "report/templates/sections/gap.html.j2",
        "measurements/schemas/gap.json",
        "py.typed",
    ):
        assert path in installed, path


@pytest.mark.slow
def test_installed_gapgates_runs_next_to_a_user_flows_package(fresh_venv, tmp_path, cancer_csv):
    project = _user_project(tmp_path)
    (project / "readme_example.py").write_text(_readme_flow_example())
    (project / "gapgates.toml").write_text(
        f'data = "{cancer_csv}"\ntarget = "target"\nmodel = "sklearn.tree.DecisionTreeClassifier"\nfolds = 5\n'
    )  # no policy: the installed package's own default.toml
    (project / "driver.py").write_text(
        "import importlib.resources, importlib.util, json, runpy, sys\n"
        "import flows\n"
        "import gapgates\n"
        "from gapgates.flows.retrain import retrain_and_gate\n"
        "example = runpy.run_path('readme_example.py')\n"
        "result = example['my_gate']('gapgates.toml')\n"
        "print(json.dumps({\n"
        "    'marker': flows.MARKER, 'flows': flows.__file__, 'flows_after': sys.modules['flows'].__file__,\n"
        "    'gapgates': gapgates.__file__, 'gapgates.flows': sys.modules['gapgates.flows'].__file__,\n"
        "    'flow': retrain_and_gate.name, 'deployments': importlib.util.find_spec('deployments') is not None,\n"
        "    'prefect.yaml': importlib.resources.files('gapgates.deployments').joinpath('prefect.yaml').is_file(),\n"
        "    'result': result, 'outcomes': [o.value for o in gapgates.Outcome],\n"
        "}))\n"
    )
    env = _clean_env(tmp_path)
    proc = subprocess.run(
        [str(fresh_venv.python), "driver.py"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    site = fresh_venv.site_packages
    assert seen["marker"] == "user" and Path(seen["flows"]) == project / "flows" / "__init__.py"
    assert seen["flows_after"] == seen["flows"]  # importing gapgates.flows did not replace the user's flows
    assert Path(seen["gapgates"]) == site / "gapgates" / "__init__.py"  # the wheel, not this checkout
    assert Path(seen["gapgates.flows"]) == site / "gapgates" / "flows" / "__init__.py"
    assert seen["flow"] == "retrain-and-gate" and seen["prefect.yaml"] and not seen["deployments"]
    assert seen["result"] in seen["outcomes"]  # the README example ran its flow
    assert not (tmp_path / "home" / ".prefect").exists() and any((tmp_path / "prefect-home").iterdir())

    # the console script and the shipped report templates/schema, from the same directory
    check = [
        "check",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        "sklearn.tree.DecisionTreeClassifier",
        "--folds",
        "3",
        "--out",
        "report",
    ]
    proc = subprocess.run(
        [str(fresh_venv.bin / "gapgates"), *check], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert (project / "report" / "report.html").is_file() and (project / "report" / "report.json").is_file()
    proc = subprocess.run(
        [str(fresh_venv.python), "-m", "gapgates.deployments.serve", "--config", "nope.toml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def _start(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kwargs)


@pytest.mark.slow
def test_installed_prefect_yaml_and_serve_run_on_a_real_server(fresh_venv, tmp_path, cancer_csv):
    """``prefect deploy`` of the installed prefect.yaml run by a process worker, and the installed serve
    module, both from a project with its own ``flows/``: the flow comes from the wheel by module path."""
    import yaml
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    installed_yaml = fresh_venv.site_packages / "gapgates" / "deployments" / "prefect.yaml"
    (spec,) = [d for d in yaml.safe_load(installed_yaml.read_text())["deployments"] if d["name"] == "scheduled-retrain"]
    project = _user_project(tmp_path)
    config = project / spec["parameters"]["config_path"]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'data = "{cancer_csv}"\ntarget = "target"\nmodel = "gapgates.demo.scaled_logistic_regression"\n'
        f'name = "packaged"\nout = "{project / "out"}"\n'
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = _clean_env(
        tmp_path,
        PREFECT_API_URL=url,
        PREFECT_UI_ENABLED="false",
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        PREFECT_WORKER_QUERY_SECONDS="1",
    )
    python = str(fresh_venv.python)

    def prefect(*args: str) -> None:
        proc = subprocess.run([python, "-m", "prefect", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    server = _start(
        [python, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=project
    )
    started: list[subprocess.Popen] = []
    try:
        wait_healthy(url, server)
        prefect("work-pool", "create", spec["work_pool"]["name"], "--type", "process")
        prefect("--no-prompt", "deploy", "--prefect-file", str(installed_yaml), "--all")
        started.append(
            _start([python, "-m", "prefect", "worker", "start", "--pool", spec["work_pool"]["name"]], env=env, cwd=project)
        )
        started.append(
            _start(
                [
                    python,
                    "-m",
                    "gapgates.deployments.serve",
                    "--config",
                    str(config.relative_to(project)),
                    "--name",
                    "packaged-serve",
                ],
                env=env,
                cwd=project,
            )
        )
        with temporary_settings(updates={PREFECT_API_URL: url}):
            with get_client(sync_client=True) as client:
                deployed = client.read_deployment_by_name(f"retrain-and-gate/{spec['name']}")
                deadline = time.monotonic() + 120
                while True:
                    assert all(p.poll() is None for p in started), "the worker or the serve process exited"
                    try:
                        served = client.read_deployment_by_name("retrain-and-gate/packaged-serve")
                        break
                    except Exception:
                        assert time.monotonic() < deadline, "the served deployment never appeared"
                        time.sleep(1)
            assert deployed.entrypoint == spec["entrypoint"] == "gapgates.flows.retrain:retrain_and_gate"
            assert served.entrypoint == "gapgates.flows.retrain.retrain_and_gate"
            for name in (spec["name"], "packaged-serve"):
                shutil.rmtree(project / "out", ignore_errors=True)
                flow_run = run_deployment(f"retrain-and-gate/{name}", timeout=240, poll_interval=2)
                assert flow_run.state.is_completed(), (name, flow_run.state)
                assert (project / "out" / "report.json").is_file(), name
    finally:
        for proc in (*reversed(started), server):
            stop_process(proc)
    assert not (tmp_path / "home" / ".prefect").exists()


# --- the library alone: built as sdist and wheel, installed with its declared dependencies only ------------


class Dists(NamedTuple):
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> Dists:
    """The sdist and the wheel, built by ``uv build`` from a clean copy of the checkout (the wheel from the sdist,
    so a file the sdist leaves out breaks the wheel too)."""
    src = tmp_path_factory.mktemp("dist-src")
    for name in ("pyproject.toml", PYPROJECT["project"]["readme"], "LICENSE"):
        shutil.copy2(ROOT / name, src)
    for directory in set(SETUPTOOLS["package-dir"].values()):
        shutil.copytree(ROOT / directory, src / directory, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    uv = Path(sys.executable).parent / "uv"
    proc = subprocess.run(
        [str(uv), "build", "--quiet", "--out-dir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SETUPTOOLS_SCM_PRETEND_VERSION": VERSION},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (sdist,) = out.glob("gapgates-*.tar.gz")
    (built,) = out.glob("gapgates-*.whl")
    return Dists(sdist, built)


def _venv(root: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    return root / "bin" / "python"


def _pip(python: Path, *args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def library_venv(dists, tmp_path_factory) -> FreshVenv:
    """A clean venv holding the wheel and the dependencies it declares (no extra), at the lock's versions."""
    root = tmp_path_factory.mktemp("library") / "venv"
    python = _venv(root)
    _pip(python, "-c", str(ROOT / "requirements.lock"), str(dists.wheel))
    site = _site_packages(python)
    return FreshVenv(python, root / "bin", site)


@pytest.mark.slow
def test_the_wheel_alone_brings_no_orchestrator_and_runs_the_demo(library_venv, tmp_path, cancer_csv):
    env = _clean_env(tmp_path)
    probe = (
        "import importlib.util, json, sys, gapgates\n"
        "gapgates.gap, gapgates.run_check, gapgates.evaluate\n"
        "print(json.dumps({'imported': sorted(m for m in ('prefect', 'fastapi', 'sqlalchemy') if m in sys.modules),\n"
        "  'installed': sorted(m for m in ('prefect', 'fastapi', 'sqlalchemy', 'mlflow') if importlib.util.find_spec(m)),\n"
        "  'file': gapgates.__file__, 'version': gapgates.__version__}))\n"
    )
    proc = subprocess.run(
        [str(library_venv.python), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen == {
        "imported": [],
        "installed": [],
        "file": str(library_venv.site_packages / "gapgates" / "__init__.py"),
        "version": VERSION,
    }

    gapgates = str(library_venv.bin / "gapgates")
    proc = subprocess.run([gapgates, "demo", "--out", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "BLOCK  unbounded-tree" in proc.stdout and "PROMOTE  scaled-logreg" in proc.stdout
    assert (tmp_path / "demo" / "scaled-logreg" / "report.html").is_file()

    # the commands that drive Prefect: one line naming the extra, exit 2, before any data is read
    run = ["run", "--data", str(cancer_csv), "--target", "target", "--model", "sklearn.tree.DecisionTreeClassifier"]
    for args in (run, ["approve", "some-run-id", "--approver", "me"], ["reject", "some-run-id", "--approver", "me"]):
        proc = subprocess.run([gapgates, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "pip install 'gapgates[prefect]'" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_sdist_installs_and_runs(dists, library_venv, tmp_path):
    """The sdist holds every file the package needs: installed on its own (its dependencies from the library
    venv through a .pth line), the console script runs the gate."""
    python = _venv(tmp_path / "venv")
    _pip(python, "--no-deps", str(dists.sdist))
    site = _site_packages(python)
    (site / DEPS_PTH).write_text(f"{library_venv.site_packages}\n")
    env = _clean_env(tmp_path)
    proc = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "gapgates"), "--version"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and VERSION in proc.stdout, proc.stdout + proc.stderr
    proc = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "gapgates"), "demo", "--out", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0 and (tmp_path / "demo" / "unbounded-tree" / "report.md").is_file(), proc.stderr
    where = subprocess.run(
        [str(python), "-c", "import gapgates; print(gapgates.__file__)"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert Path(where.stdout.strip()) == site / "gapgates" / "__init__.py"
