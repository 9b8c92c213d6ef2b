"""The README's two commands are in the Makefile and CI; the files it links exist (its commands run: tests/e2e)."""

import re

import pytest

from tests.helpers import ROOT, bash_commands

README = (ROOT / "README.md").read_text()


def test_the_two_commands_are_in_the_readme_and_the_makefile():
    assert "make demo" in bash_commands("make demo")[0]
    assert bash_commands("make test")
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install\n\t.*gapgates demo", makefile, flags=re.M)
    assert re.search(r"^test: install-dev\n\t.*pytest", makefile, flags=re.M)
    # both install the lock's exact versions
    assert re.search(r"^\$\(VENV\)/\.installed-user: .*\$\(LOCK\).*\n\t.*pip install .*-c \$\(LOCK\)", makefile, flags=re.M)
    assert re.search(r"^\$\(VENV\)/\.installed-dev: .*\$\(LOCK\).*\n\t.*pip install .*-c \$\(LOCK\)", makefile, flags=re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make lint" in ci and "make typecheck" in ci


@pytest.mark.parametrize("path", ["gapgates/policies/default.toml", "gapgates/policies/demo.toml"])
def test_policies_linked_from_the_readme_exist(path):
    assert path in README and (ROOT / path).is_file()
