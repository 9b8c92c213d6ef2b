"""gapgates/errors.py: the fixes a message names, spelled as the caller spells the inputs."""

from __future__ import annotations

import pytest

from gapgates.errors import COMMAND_LINE, ConfigError, fix, spelled


def test_the_command_line_gets_its_flags_python_its_arguments():
    assert fix("Use fewer --folds", "Lower {folds}") == "Lower folds"  # a CheckConfig field, a gapgates.toml key
    with spelled(COMMAND_LINE):
        assert fix("Use fewer --folds", "Lower {folds}") == "Use fewer --folds"
    with spelled({"folds": "n_splits"}):
        assert fix("Use fewer --folds", "Lower {folds} or {repeats}") == "Lower n_splits or repeats"
    assert fix("Use fewer --folds", "Lower {folds}") == "Lower folds"  # restored on the way out


def test_the_cli_spells_its_flags(tmp_path):
    from tests.helpers import invoke

    (tmp_path / "d.csv").write_text("x,y\n1,0\n2,1\n")
    result = invoke("check", "--data", tmp_path / "d.csv", "--target", "label", "--model", "sklearn.tree.DecisionTreeClassifier")
    assert result.exit_code == 2 and result.stderr.strip().endswith("Fix --target."), result.stderr
    with pytest.raises(ConfigError, match=r"Fix target\.$"):
        from gapgates.config import CheckConfig
        from gapgates.pipeline.inputs import check_inputs

        check_inputs(CheckConfig(data=tmp_path / "d.csv", target="label", model="sklearn.tree.DecisionTreeClassifier"))
