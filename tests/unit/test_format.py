"""gapgates.format: the one home of the number and JSON helpers (its examples run here too)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import gapgates.format as formatting
from gapgates.format import fmt, is_number, json_number, plain, score


def test_the_examples_in_the_docstrings_hold():
    failed, tried = doctest.testmod(formatting)
    assert tried >= 6 and failed == 0


@pytest.mark.parametrize(
    "value,text",
    [(None, "–"), (math.nan, "–"), (math.inf, "–"), (True, "yes"), (0.1, "0.1000"), (123456.0, "1.235e+05"), ("x", "x")],
)
def test_fmt(value, text):
    assert fmt(value) == text


def test_score_is_a_number_cell_or_a_dash():
    assert [score(v) for v in (0.25, 2, None, "0.3", True, math.nan)] == ["0.2500", "2.0000", "–", "–", "–", "–"]


def test_json_helpers():
    assert json_number(np.float64(1 / 3)) == 0.333333 and json_number(math.inf) is None
    assert type(plain(np.int64(4))) is int and plain([np.int64(1)]) == [np.int64(1)]  # shallow unless asked
    assert plain((np.float32(0.5), math.nan), deep=True) == [0.5, None]
    assert is_number(1) and is_number(0.5) and not is_number(True) and not is_number(math.nan) and not is_number("1")
