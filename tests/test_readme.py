"""The README's commands run, so the docs cannot rot."""

import re
import shlex
import shutil

import pytest

from tests.conftest import ROOT, run_cli_process

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


def test_the_adding_a_rule_example_adds_a_rule_through_the_registry(cancer_csv, tmp_path):
    import re

    from gapgates.config import make_config
    from gapgates.gate import run_gate
    from gapgates.judge.rules import REGISTRY, unregister

    text = (ROOT / "README.md").read_text()
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "register_rule(" in b)
    namespace: dict = {}
    exec(code, namespace)  # the README's own example
    try:
        config = make_config({"data": cancer_csv, "target": "target", "model": "gapgates.demo.scaled_logistic_regression",
                              "holdout_fraction": 0.2})
        checks = {c.name: c for c in run_gate(config, policy=namespace["MyPolicy"]()).result.decision.checks}
        assert checks["train_share"].status.value == "pass" and checks["train_share"].limit == 0.9
        strict = namespace["MyPolicy"](size=namespace["SizePolicy"](max_train_share=0.5))
        checks = {c.name: c for c in run_gate(config, policy=strict).result.decision.checks}
        assert checks["train_share"].status.value == "fail"
        policy_file = tmp_path / "size.toml"
        policy_file.write_text("[size]\nmax_train_share = { limit = 0.5, severity = \"warn\" }\n")
        from gapgates.judge.policy import load_policy

        loaded = load_policy(policy_file, model=namespace["MyPolicy"])
        checks = {c.name: c for c in run_gate(config, policy=loaded).result.decision.checks}
        assert checks["train_share"].status.value == "warn"
    finally:
        unregister("train_share")
    assert "train_share" not in REGISTRY
