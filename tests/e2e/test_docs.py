"""The README's quick-start commands run as real subprocesses, so the docs cannot rot."""

import shlex
import shutil

from tests.helpers import ROOT, bash_commands, run_cli_process

README = (ROOT / "README.md").read_text()


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
