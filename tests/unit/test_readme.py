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
    assert re.search(r"^test: install\n\t.*pytest", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("path", ["gapgates/policies/default.toml", "gapgates/policies/demo.toml"])
def test_policies_linked_from_the_readme_exist(path):
    assert path in README and (ROOT / path).is_file()
