"""The docs' Python examples that run in-process (the flow and command examples: tests/e2e/test_docs.py).

Each test finds its block with ``python_example(marker)``; tests/unit/test_docs.py checks that every Python block
of the docs is run by a test or says why not.
"""

# No `from __future__ import annotations` here: exec() would pass it on to the examples (pydantic models in them).
import ast

import pytest

from tests.helpers import python_example


def run_example(code: str, namespace: dict) -> object:
    """Execute a docs example as a doctest would: the value of its last line when that line is an expression."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "docs", "exec"), namespace)
    return None if last is None else eval(compile(ast.Expression(last.value), "docs", "eval"), namespace)


def test_the_adding_a_rule_example_adds_a_rule_through_the_registry(cancer_csv, tmp_path):
    from gapgates.config import make_config
    from gapgates.gate import run_gate
    from gapgates.judge.rules import REGISTRY, unregister

    namespace: dict = {}
    exec(python_example("register_rule(RuleSpec("), namespace)  # the docs' own example (contributing.md)
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
    from gapgates.registry import BACKENDS, backend_for, open_registry, unregister_backend

    exec(python_example("register_backend("), {})  # the docs' own example: the registration imports nothing
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
    namespace: dict = {}
    exec(compile(python_example('gapgates.gap("sklearn.linear_model.Ridge"'), "docs", "exec"), namespace)
    gap, frame, price = namespace["gapgates"].gap, namespace["frame"], namespace["price"]
    assert list(gap("sklearn.linear_model.Ridge", frame, price, scoring="r2").metrics) == ["r2"]


def test_the_first_library_example_blocks_the_unbounded_tree(capsys):
    """README.md and guides/library.md: the gap of an unbounded tree on breast cancer, judged by the default policy."""
    namespace: dict = {}
    exec(python_example("result = gapgates.gap(DecisionTreeClassifier"), namespace)
    printed = capsys.readouterr().out.splitlines()
    gap_mean, gap_high = (float(v) for v in printed[0].split())
    assert 0 < gap_mean < gap_high and gap_high > 0.05  # the tree memorises: its gap's upper bound is over max_gap
    assert printed[1].startswith("Outcome.BLOCK") and "accuracy gap" in printed[1]


def test_the_gx_checkpoint_example_passes_the_profiled_suite(cancer_csv, tmp_path, monkeypatch):
    """guides/data-quality.md: the suite `gapgates profile` writes, saved by a GX file context, passes a Checkpoint."""
    import shutil

    import pandas as pd

    from gapgates.quality.gate import profile_suite

    monkeypatch.chdir(tmp_path)
    shutil.copy(cancer_csv, "accepted.csv")
    profile_suite(pd.read_csv("accepted.csv"), "accepted.json", target="target")
    assert run_example(python_example("checkpoint.run(batch_parameters"), {}) is True  # the block's "# True"


def test_the_registry_and_mlflow_examples_promote_and_load(cancer_csv, tmp_path, monkeypatch):
    """guides/mlflow.md: run_check + enforce into a directory, then into an MLflow sqlite store, then MLflow's loaders.

    The guide's loader example calls ``mlflow.set_tracking_uri``/``set_registry_uri``, which set process-wide globals
    and the ``MLFLOW_*_URI`` variables: both are restored after the test, or a later MLflow test in this process
    (a test worker's) reads this test's relative ``sqlite:///mlflow.db`` instead of its own store.
    """
    import pandas as pd
    from mlflow.tracking._model_registry import utils as registry_uri
    from mlflow.tracking._tracking_service import utils as tracking_uri

    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tracking_uri, "_tracking_uri", None)
    monkeypatch.setattr(registry_uri, "_registry_uri", None)
    monkeypatch.chdir(tmp_path)
    pd.read_csv(cancer_csv).rename(columns={"target": "label"}).to_csv("train.csv", index=False)
    namespace: dict = {}
    exec(python_example("done = enforce(result, LocalRegistry"), namespace)  # a directory registry
    assert namespace["done"].promoted and namespace["done"].production == "v1"
    assert hasattr(namespace["model"], "predict")
    exec(python_example('reg = open_registry("mlflow:sqlite:///mlflow.db"'), namespace)  # the same result, into MLflow
    assert namespace["done"].promoted
    exec(python_example('mlflow.sklearn.load_model("models:/LogisticRegression@champion")'), namespace)
    frame = pd.read_csv("train.csv").drop(columns="label").head(5)
    assert list(namespace["model"].predict(frame)) == list(namespace["pyfunc"].predict(frame))
