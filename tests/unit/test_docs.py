"""The documentation (README.md and docs/**/*.md) cannot rot: every code block is accounted for.

- Every Python block compiles, and is either run by a named test (which finds it with ``python_example(marker)``)
  or listed in ``NOT_RUN`` with the reason; this file checks that each named test really reads its block.
- Every bash and console block is run by a named test (``SHELL_RUN``) or listed in ``SHELL_NOT_RUN`` with the reason
  (a server that runs until stopped, a package index, a benchmark of minutes).
- Every ``gapgates`` command line of a bash or console block names a command and options the CLI has (click
  parses it); ``make`` lines name Makefile targets; ``pip install`` lines name declared extras; the other
  commands name options their script declares.
- The policy reference page is generated from the policy model: every key of every section is on it.
- The pages the site builds are the pages mkdocs.yml lists (or issue 26's pages, which build before nav lists them).

The commands and outputs themselves run in tests/e2e/test_docs.py; the Python examples in the tests named below.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from tests.helpers import DOC_PAGES, ROOT, code_blocks, doc_page, docs_text, pyproject

#: Python blocks run by a test: a marker only that block contains -> the test file that runs it.
RUN = {
    "result = gapgates.gap(DecisionTreeClassifier": "tests/integration/test_docs.py",
    'gapgates.gap("sklearn.linear_model.Ridge"': "tests/integration/test_docs.py",
    "register_rule(RuleSpec(": "tests/integration/test_docs.py",
    "register_backend(": "tests/integration/test_docs.py",
    "checkpoint.run(batch_parameters": "tests/integration/test_docs.py",
    "done = enforce(result, LocalRegistry": "tests/integration/test_docs.py",
    'reg = open_registry("mlflow:sqlite:///mlflow.db"': "tests/integration/test_docs.py",
    'mlflow.sklearn.load_model("models:/LogisticRegression@champion")': "tests/integration/test_docs.py",
    'report = retrain_and_gate(config_path="deployments/gapgates.toml")': "tests/e2e/test_docs.py",
    "def my_gate": "tests/e2e/test_flows.py",
    "resume_flow_run(flow_run_id": "tests/e2e/test_flows.py",
    # with prefect.yaml deployed and a worker sharing the result storage (the fresh-clone test)
    'run = run_deployment("retrain-and-gate/scheduled-retrain")': "tests/e2e/test_deployments.py",
    'retrain_and_gate(config_path="gapgates.toml", recommend=True)': "tests/e2e/test_docs.py",
}
#: Python blocks shown but not run, and why.
NOT_RUN = {
    "class RecallPolicy(PolicySection)": "an excerpt of gapgates/measurements/recall.py: test_the_recall_excerpt_is_the_module",
}


def _python_blocks() -> list[str]:
    return code_blocks("python")


def test_every_python_block_compiles():
    for block in _python_blocks():
        ast.parse(block)


def test_every_python_block_is_run_by_a_named_test_or_says_why_not():
    unclaimed = [b.splitlines()[0] for b in _python_blocks() if not any(m in b for m in (*RUN, *NOT_RUN))]
    assert not unclaimed, f"a Python block of the docs that no test runs: add it to RUN (and run it) or NOT_RUN: {unclaimed}"
    for marker, test_file in RUN.items():
        assert sum(marker in b for b in _python_blocks()) >= 1, f"no block contains {marker!r}"
        source = (ROOT / test_file).read_text(encoding="utf-8")
        assert f"python_example({marker!r})" in source or f'python_example("{marker}")' in source, (marker, test_file)


def test_the_recall_excerpt_is_the_module():
    """The "Adding a measurement" excerpt says what recall.py declares: its names, keywords and strings are the module's."""
    excerpt = ast.parse(next(b for b in _python_blocks() if "class RecallPolicy(PolicySection)" in b))
    module = (ROOT / "gapgates" / "measurements" / "recall.py").read_text(encoding="utf-8")
    declared = ast.parse(module)
    names = {n.id for n in ast.walk(declared) if isinstance(n, ast.Name)} | {
        n.name for n in ast.walk(declared) if isinstance(n, ast.ClassDef | ast.FunctionDef)
    }
    found = 0
    for node in ast.walk(excerpt):
        if isinstance(node, ast.keyword) and node.arg:
            assert f"{node.arg}=" in module, node.arg
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert f'"{node.value}"' in module, node.value
        elif isinstance(node, ast.Name | ast.ClassDef):
            name = node.id if isinstance(node, ast.Name) else node.name
            assert name in names, name
        else:
            continue
        found += 1
    assert found >= 20


# --- commands ------------------------------------------------------------------------------------------

#: Shell blocks (bash, console) run by a test: a text only that block contains -> the test file that runs it.
SHELL_RUN = {
    "gapgates demo --out demo-report\ngapgates check": "tests/e2e/test_docs.py",  # getting-started.md
    "--registry registry/ --promote": "tests/e2e/test_docs.py",
    "mlflow:sqlite:///mlflow.db --promote": "tests/e2e/test_docs.py",
    "gapgates profile --data accepted.csv": "tests/e2e/test_docs.py",
    "gapgates history --history": "tests/e2e/test_docs.py",
    "gapgates report --from": "tests/e2e/test_docs.py",
    "gapgates digest --history": "tests/e2e/test_docs.py",
    "gapgates run --data demo-report/breast_cancer.csv": "tests/e2e/test_docs.py",  # on the session's test server
    "gapgates approve 0b1c2d3e": "tests/e2e/test_approval.py",  # the paused run's id in place of the one shown
    "PREFECT_UI_API_URL=": "tests/e2e/test_approval.py",  # on a free port; the UI test opens the paused run in it
    # deploy_as_shown, which tests/e2e/test_approval.py, test_outcomes.py, test_schedule.py and test_deployments.py use
    "prefect work-pool create": "tests/helpers.py",
    "python -m gapgates.deployments.serve --config deployments/gapgates.toml --fresh": "tests/e2e/test_deployments.py",
    "prefect server start --host 127.0.0.1 --port 4200": "tests/e2e/test_deployments.py",  # on a free port
    "bench_decisions.py --tables": "tests/e2e/test_docs.py",  # performance.md: its decisions are the stored run's
    "bench_estimate.py --tables": "tests/e2e/test_docs.py",  # guides/monitoring.md: the accuracy at promotion shown
}
#: Shell blocks shown but not run by a test, and why.
SHELL_NOT_RUN = {
    "make demo   # creates .venv": "the two commands are what CI runs (.ci/run: make test); make demo runs gapgates demo, "
    "which tests/e2e/test_docs.py runs; test_make_and_pip_lines_name_what_exists checks the targets",
    "make test                      # the whole suite": "the Makefile's targets (checked to exist); CI runs them",
    "make test-latest": "resolves the newest releases from a package index",
    "make docs          # mkdocs build": "CI runs make docs; mkdocs serve runs until stopped",
    "pip install gapgates ": "installs a published release from a package index, not this checkout's build; "
    "tests/e2e/test_packaging.py installs the built wheel with its declared dependencies, what the first line installs, "
    "and checks its comment (no Prefect, FastAPI, SQLAlchemy; run/approve/reject name the [prefect] extra)",
}


def test_every_shell_block_is_run_by_a_named_test_or_says_why_not():
    blocks = code_blocks("bash") + code_blocks("console")
    unclaimed = [b.splitlines()[0] for b in blocks if not any(m in b for m in (*SHELL_RUN, *SHELL_NOT_RUN))]
    assert not unclaimed, (
        f"a shell block of the docs that no test runs: add it to SHELL_RUN (and run it) or SHELL_NOT_RUN: {unclaimed}"
    )
    for marker in (*SHELL_RUN, *SHELL_NOT_RUN):
        assert any(marker in b for b in blocks), f"no shell block contains {marker!r}"
    for marker, test_file in SHELL_RUN.items():
        source = (ROOT / test_file).read_text(encoding="utf-8")
        assert json.dumps(marker) in source, (marker, test_file)  # the test finds its block by the same text


def _command_lines(text: str | None = None) -> list[str]:
    """Every command line of the bash and console blocks (console: the lines after ``$ ``), continuations joined."""
    lines: list[str] = []
    for language in ("bash", "console"):
        for block in code_blocks(language, text=text):
            joined = block.replace("\\\n", " ")
            for line in joined.splitlines():
                if language == "console":
                    if not line.startswith("$ "):
                        continue
                    line = line[2:]
                line = line.split(" #", 1)[0].strip()
                if line and not line.startswith("#"):
                    lines.append(line)
    return lines


def _parse(args: list[str]) -> None:
    """Parse a ``gapgates`` command line with the real click group; raise on an unknown command or option."""
    from gapgates.cli import cli

    command: click.Command = cli
    ctx = None
    name = "gapgates"
    while True:
        try:
            ctx = command.make_context(name, list(args), parent=ctx)
        except (click.NoSuchOption, click.BadOptionUsage):
            raise
        except click.UsageError as err:
            if "No such command" in str(err):
                raise
            return  # a missing value or file: the names are right, which is what is checked here
        if not isinstance(command, click.Group):
            return
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            return
        name, sub, args = command.resolve_command(ctx, rest)
        assert sub is not None, rest
        command = sub


def test_every_gapgates_command_of_the_docs_parses():
    commands = [line for line in _command_lines() if line.startswith("gapgates ")]
    assert len(commands) >= 20
    for line in commands:
        args = [a for a in shlex.split(line)[1:] if not (a.startswith("[") or a.endswith("]"))]
        try:
            _parse(args)
        except click.ClickException as err:
            pytest.fail(f"{line}\n{err.format_message()}")


def test_make_and_pip_lines_name_what_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    extras = set(pyproject()["project"]["optional-dependencies"])
    lines = _command_lines()
    for line in (li for li in lines if li.startswith("make ")):
        for target in (word for word in line.split()[1:] if "=" not in word):  # VAR=value is a variable
            assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), line
    for line in (li for li in lines if li.startswith("pip install ")):
        for extra in re.findall(r"gapgates\[(\w+)\]", line):
            assert extra in extras, line


def test_script_options_in_the_docs_are_declared():
    checked = 0
    for line in _command_lines():
        script = {
            "python -m gapgates.deployments.serve": ROOT / "deployments" / "serve.py",
            "cd benchmarks && ../.venv/bin/python bench_decisions.py": ROOT / "benchmarks" / "bench_decisions.py",
        }
        for prefix, path in script.items():
            if line.startswith(prefix):
                source = path.read_text(encoding="utf-8")
                for option in re.findall(r"(--[\w-]+)", line[len(prefix) :]):
                    assert f'"{option}"' in source, (line, option)
                checked += 1
    assert checked >= 3


# --- generated pages and the site's structure ------------------------------------------------------------


def _hook(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_policy_reference_is_generated_from_the_model_and_lists_every_key():
    from pydantic import BaseModel

    from gapgates.judge.policy import PolicySection, policy_model

    hook = _hook("policy_reference")
    page = doc_page("guides/policy.md")
    assert hook.MARKER in page
    rendered = hook.on_page_markdown(page)
    assert hook.MARKER not in rendered
    model = policy_model()
    for name, info in model.model_fields.items():
        section = info.annotation
        assert isinstance(section, type) and issubclass(section, BaseModel)
        table = rendered.split(f"### `[{name}]`", 1)[1].split("\n### ", 1)[0]
        for key in section.model_fields:
            assert f"| `{key}` |" in table, (name, key)
    gap = rendered.split("### `[gap]`", 1)[1].split("\n### ", 1)[0]
    assert "| `max_gap` | limit" in gap and "| `0.05` |" in gap and "no upper bound for `neg_*` metrics" in gap
    assert "| `max_repeats` | integer | `4` | an integer between 0 and 20 |" in gap

    class ExtraPolicy(PolicySection):
        """``[extra]``: a section added after the page was written.

        Attributes:
            max_thing: A new key.
        """

        max_thing: float = 0.5

    class Extended(model):  # type: ignore[valid-type, misc]
        extra: ExtraPolicy = ExtraPolicy()

    assert "| `max_thing` | number | `0.5` |  | A new key. |" in hook.render(Extended)


def test_the_api_page_lists_every_public_name():
    import gapgates

    hook = _hook("api_reference")
    assert hook.MARKER in doc_page("reference/api.md")
    rendered = hook.render()
    for name in gapgates.__all__:
        if name != "__version__":
            assert re.search(rf"^::: gapgates\.[\w.]+\.{re.escape(gapgates._ALIASES.get(name, name))}$", rendered, re.M), name


def _nav_pages(nav: list) -> list[str]:
    found: list[str] = []
    for item in nav:
        for value in item.values() if isinstance(item, dict) else [item]:
            found += _nav_pages(value) if isinstance(value, list) else [value]
    return found


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    nav = _nav_pages(config["nav"])
    pages = {str(p.relative_to(ROOT / "docs")) for p in DOC_PAGES if p.name != "README.md" or p.parent != ROOT}
    pages.discard("README.md")
    waiting = {line.strip().lstrip("/") for line in config.get("not_in_nav", "").splitlines() if line.strip()}
    assert set(nav) <= pages, set(nav) - pages
    assert pages - set(nav) <= waiting, pages - set(nav)


def test_doc_links_to_pages_resolve():
    """Relative links between the Markdown sources (what a code host follows; mkdocs --strict checks the anchors)."""
    for page in DOC_PAGES:
        for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (page.parent / target).resolve().is_file(), (str(page), target)


def test_no_page_names_a_registry_host_or_the_old_readme_sections():
    text = docs_text()
    assert "README's" not in text.replace("README's links", "")
    assert Path(ROOT / "README.md").read_text(encoding="utf-8").count("\n") <= 200
