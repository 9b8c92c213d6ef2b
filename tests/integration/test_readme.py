"""The README's worked examples that run in-process (the flow and command examples: tests/e2e)."""

from tests.helpers import ROOT


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
        config = make_config(
            {"data": cancer_csv, "target": "target", "model": "gapgates.demo.scaled_logistic_regression", "holdout_fraction": 0.2}
        )
        checks = {c.name: c for c in run_gate(config, policy=namespace["MyPolicy"]()).result.decision.checks}
        assert checks["train_share"].status.value == "pass" and checks["train_share"].limit == 0.9
        strict = namespace["MyPolicy"](size=namespace["SizePolicy"](max_train_share=0.5))
        checks = {c.name: c for c in run_gate(config, policy=strict).result.decision.checks}
        assert checks["train_share"].status.value == "fail"
        policy_file = tmp_path / "size.toml"
        policy_file.write_text('[size]\nmax_train_share = { limit = 0.5, severity = "warn" }\n')
        from gapgates.judge.policy import load_policy

        loaded = load_policy(policy_file, model=namespace["MyPolicy"])
        checks = {c.name: c for c in run_gate(config, policy=loaded).result.decision.checks}
        assert checks["train_share"].status.value == "warn"
    finally:
        unregister("train_share")
    assert "train_share" not in REGISTRY


def test_the_new_registry_backend_example_registers_one():
    import re

    import pytest

    from gapgates.registry import BACKENDS, backend_for, open_registry, unregister_backend

    text = (ROOT / "README.md").read_text()
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "register_backend(" in b)
    exec(code, {})  # the README's own example: the registration imports nothing
    try:
        backend = backend_for("mystore:/srv/models")
        assert (backend.name, backend.address("mystore:/srv/models"), backend.takes_alias) == ("mystore", "/srv/models", True)
        assert backend_for("registry").name == "directory" and backend_for("mlflow:sqlite:///m.db").name == "mlflow"
        with pytest.raises(ModuleNotFoundError, match="mypackage"):  # the module is imported when a location is opened
            open_registry("mystore:/srv/models")
    finally:
        unregister_backend("mystore")
    assert "mystore" not in BACKENDS


def test_the_library_example_takes_a_spec_a_text_column_and_scoring_as_a_string_or_a_dict():
    import re

    text = (ROOT / "README.md").read_text()
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if 'gapgates.gap("sklearn.linear_model.Ridge"' in b)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # raises if a call of the example fails
    gap, frame, price = namespace["gapgates"].gap, namespace["frame"], namespace["price"]
    assert list(gap("sklearn.linear_model.Ridge", frame, price, scoring="r2").metrics) == ["r2"]
