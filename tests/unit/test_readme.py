"""The README's commands run, so the docs cannot rot."""

import re
import shlex
import shutil

import pytest

from tests.helpers import ROOT, run_cli_process

README = (ROOT / "README.md").read_text()


def bash_commands(prefix: str, *, text: str = README) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.startswith(prefix)]


def test_the_two_commands_are_in_the_readme_and_the_makefile():
    assert "make demo" in bash_commands("make demo")[0]
    assert bash_commands("make test")
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install\n\t.*gapgates demo", makefile, flags=re.M)
    assert re.search(r"^test: install\n\t.*pytest", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_gapgates_commands_run(tmp_path):
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = bash_commands("gapgates ", text=quick_start)
    assert len(commands) >= 3
    shutil.copytree(ROOT / "gapgates" / "policies", tmp_path / "gapgates" / "policies")
    for command in commands:
        args = shlex.split(command)[1:]
        proc = run_cli_process(*args, cwd=tmp_path)
        assert proc.returncode in (0, 1), f"{command}\n{proc.stderr}"
        assert "report" in proc.stdout or "Demo data" in proc.stdout


@pytest.mark.parametrize("path", ["gapgates/policies/default.toml", "gapgates/policies/demo.toml"])
def test_policies_linked_from_the_readme_exist(path):
    assert path in README and (ROOT / path).is_file()
