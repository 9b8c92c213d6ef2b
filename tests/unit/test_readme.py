"""The README is a landing page: at most 200 lines, the two commands (in the Makefile and CI), one click to each part of
the docs; the files it names exist (its commands run: tests/e2e/test_docs.py; every doc page: tests/unit/test_docs.py)."""

import re

import pytest

from tests.helpers import ROOT, bash_commands

README = (ROOT / "README.md").read_text()


def test_the_two_commands_are_in_the_readme_and_the_makefile():
    assert "make demo" in bash_commands("make demo", text=README)[0]
    assert bash_commands("make test", text=README)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install\n\t.*gapgates demo", makefile, flags=re.M)
    assert re.search(r"^test: install-dev\n\t.*pytest", makefile, flags=re.M)
    # both install the lock's exact versions
    assert re.search(r"^\$\(VENV\)/\.installed-user: .*\$\(LOCK\).*\n\t.*pip install .*-c \$\(LOCK\)", makefile, flags=re.M)
    assert re.search(r"^\$\(VENV\)/\.installed-dev: .*\$\(LOCK\).*\n\t.*pip install .*-c \$\(LOCK\)", makefile, flags=re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make lint" in ci and "make typecheck" in ci and "make docs" in ci
    assert re.search(r"^docs: install-dev\n\t.*mkdocs build --strict", makefile, flags=re.M)


@pytest.mark.parametrize("path", ["gapgates/policies/default.toml", "gapgates/policies/demo.toml"])
def test_policies_named_in_the_readme_exist(path):
    assert path in README and (ROOT / path).is_file()


def test_the_readme_is_a_landing_page_with_one_click_to_each_part():
    assert README.count("\n") <= 200
    links = set(re.findall(r"\]\((docs/[^)#]+\.md)", README))
    for page in links:
        assert (ROOT / page).is_file(), page
    for part in (
        "docs/getting-started.md",  # install and the two commands
        "docs/guides/cli.md",
        "docs/guides/policy.md",  # the policy reference
        "docs/guides/prefect.md",
        "docs/guides/mlflow.md",
        "docs/architecture.md",
    ):
        assert part in links, part
    # the lead fills the decision-quality table from the benchmarks; the line links the performance page
    placeholder = README.split("## Decision quality on real tables", 1)[1].split("\n## ", 1)[0]
    assert "docs/performance.md#decision-quality-on-real-tables" in placeholder
