"""gapgates.runner re-exports the steps that live in their own modules, so ``flows/`` imports one place."""

from __future__ import annotations

import pytest

from gapgates import after_gap, inputs, references, runner

MOVED = [
    (inputs, ("Inputs", "Prepared", "load_inputs", "validate_inputs", "prepare", "quality_evidence")),
    (after_gap, ("diagnose",)),
    (references, ("References", "reference_scores")),
]


@pytest.mark.parametrize(("module", "names"), MOVED, ids=lambda m: getattr(m, "__name__", ""))
def test_runner_reexports_the_steps(module, names):
    for name in names:
        assert getattr(runner, name) is getattr(module, name) and name in runner.__all__


def test_runner_all_is_importable():
    for name in runner.__all__:
        assert getattr(runner, name) is not None, name
