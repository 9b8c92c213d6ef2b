"""The real tables of ``benchmarks/real_tables.py`` load offline, with their target, task and a sane row count.

A table whose package is not installed (the ``bench`` extra) is skipped with the package's name.
"""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from benchmarks.real_tables import (
    CLASSIFICATION,
    LABEL_ISSUES,
    LEAK_COLUMNS,
    LEAKY_SOURCES,
    LEAKY_TABLES,
    MODULES,
    REGRESSION,
    SOURCES,
    TABLES,
    subsample,
)

#: Rows of each table after its preparation (rows with a missing value dropped).
EXPECTED_ROWS = {
    "iris": 150, "wine": 178, "breast_cancer": 569, "digits": 1797, "fair": 6366, "anes96": 944,
    "seattle_weather": 1461, "penguins": 333, "credit_card": 1319, "pima": 532, "default": 10000,
    "orange_juice": 1070, "titanic": 1046, "spam7": 4601, "birthwt": 189, "diabetes": 442, "carseats": 400,
    "auto": 392, "hitters": 263, "caschools": 420, "star98": 303, "grunfeld": 220, "engel": 235, "cps1985": 534,
    "wage": 3000, "college": 777, "cpus": 209, "fair_affairs": 6366, "credit_card_expenditure": 1319,
    "birthwt_bwt": 189, "smarket_today": 1250, "wage_logwage": 3000,
}  # fmt: skip


def _skip_without(package: str) -> None:
    if importlib.util.find_spec(MODULES[package]) is None:
        pytest.skip(f"{package} is not installed (pip install -e '.[bench]')")


def test_the_benchmark_has_enough_tables_of_each_kind() -> None:
    tasks = [TABLES[name]().task for name in TABLES if importlib.util.find_spec(MODULES[SOURCES[name]])]
    assert len(TABLES) >= 20
    assert tasks.count(REGRESSION) >= 5 and tasks.count(CLASSIFICATION) >= 5
    assert set(SOURCES) == set(TABLES) and set(LEAKY_SOURCES) == set(LEAKY_TABLES) == set(LEAK_COLUMNS)
    assert set(EXPECTED_ROWS) == set(TABLES) | set(LEAKY_TABLES)


@pytest.mark.parametrize("name", list(TABLES) + list(LEAKY_TABLES))
def test_table_loads_offline(name: str) -> None:
    _skip_without({**SOURCES, **LEAKY_SOURCES}[name])
    loader = {**TABLES, **LEAKY_TABLES}[name]
    frame, target, task = loader()
    assert isinstance(frame, pd.DataFrame)
    assert 150 <= len(frame) <= 20_000
    assert len(frame) == EXPECTED_ROWS[name]
    assert target in frame.columns
    assert frame.shape[1] >= 2
    assert not frame.isna().any().any()
    assert task in (CLASSIFICATION, REGRESSION)
    if task == CLASSIFICATION:
        assert 2 <= frame[target].nunique() <= 10
    else:
        assert pd.api.types.is_numeric_dtype(frame[target]) and frame[target].nunique() > 20
    for column in LEAK_COLUMNS.get(name, ()):
        assert column in frame.columns


#: The clean table of each real leak that has one (smarket_today is a leak case only).
CLEAN_OF = {"fair_affairs": "fair", "credit_card_expenditure": "credit_card", "birthwt_bwt": "birthwt", "wage_logwage": "wage"}


@pytest.mark.parametrize(("name", "clean"), list(CLEAN_OF.items()))
def test_clean_tables_never_hold_the_real_leak(name: str, clean: str) -> None:
    _skip_without(LEAKY_SOURCES[name])
    leaky, frame = LEAKY_TABLES[name]().frame, TABLES[clean]().frame
    assert not set(LEAK_COLUMNS[name]) & set(frame.columns)
    assert len(leaky) == len(frame) and set(leaky.columns) - set(frame.columns) == set(LEAK_COLUMNS[name])


def test_subsample_keeps_small_tables_and_is_seeded() -> None:
    _skip_without("scikit-learn")
    table = TABLES["digits"]()
    assert subsample(table, None) is table and subsample(table, 5000) is table
    small = subsample(table, 500)
    assert len(small.frame) == 500 and small.target == table.target and small.task == table.task
    assert small.frame.equals(subsample(table, 500).frame)


def test_the_label_issue_of_seattle_weather_is_in_its_data() -> None:
    """The evidence :data:`LABEL_ISSUES` quotes is counted from the table as shipped (with its date)."""
    _skip_without("vega_datasets")
    from vega_datasets import local_data

    raw = local_data.seattle_weather()
    wet = raw[raw["precipitation"] > 0]
    counts = pd.crosstab(pd.to_datetime(wet["date"]).dt.year, wet["weather"])
    said = LABEL_ISSUES["seattle_weather"]
    assert set(LABEL_ISSUES) <= set(TABLES)
    assert (counts.loc[2012, "rain"], counts.loc[2012].sum()) == (156, 177) and "156 of 177" in said
    assert (counts.loc[2014, "rain"], counts.loc[2014].sum()) == (2, 150) and "2 of 150" in said
    assert (counts.loc[2014, "fog"], counts.loc[2014, "sun"]) == (123, 25) and "123 are 'fog', 25 'sun'" in said
    assert (counts.loc[2015, "rain"], counts.loc[2015].sum(), counts.loc[2015, "fog"]) == (5, 144, 121)
    assert "5 of 144 in 2015 (121 'fog', 18 'sun')" in said and counts.loc[2015, "sun"] == 18
