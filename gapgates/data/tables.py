"""Loading tables, fingerprinting them, and checking them before any model is fit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gapgates.errors import ConfigError, DataError

__all__ = [
    "Dataset", "check_classes", "check_holdout_columns", "fingerprint", "load_table", "make_dataset", "raw_dataset",
    "require_columns",
]


def load_table(path: str | Path, *, header_only: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file; rows keep their 0-based file position as index.

    Args:
        path: A ``.csv`` (any other suffix is read as CSV) or ``.parquet``/``.pq`` file.
        header_only: Read only the column names (and Parquet's types): an empty table, fast
            at any size.

    Returns:
        The table with a fresh ``RangeIndex``.

    Raises:
        ConfigError: If the file is missing or cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Data file '{path}' does not exist. Pass an existing CSV or Parquet file.")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            if header_only:
                import pyarrow.parquet as pq

                df = pq.read_schema(path).empty_table().to_pandas()
            else:
                df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, nrows=0 if header_only else None)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame()
    except (OSError, ValueError, pd.errors.ParserError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"Data file '{path}' cannot be read as {path.suffix or 'CSV'}: {first}.") from None
    return df.reset_index(drop=True)


def fingerprint(df: pd.DataFrame) -> str:
    """Return a sha256 of a table's columns, dtypes and values (row order included)."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    if len(df):
        digest.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, target and the optional group/time columns of one table.

    Attributes:
        X: Feature columns; the index is the 0-based row position in the file.
        y: Target values.
        target: Name of the target column.
        groups: Group labels (for GroupKFold), if a group column was named.
        time: Time values (for TimeSeriesSplit), if a time column was named.
        fingerprint: sha256 of the whole table as loaded.
    """

    X: pd.DataFrame
    y: pd.Series
    target: str
    groups: pd.Series | None = None
    time: pd.Series | None = None
    fingerprint: str = ""
    columns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self.X)


def _require_column(df: pd.DataFrame, column: str, role: str, option: str) -> None:
    if column not in df.columns:
        shown = ", ".join(map(str, df.columns[:12])) + (", ..." if df.shape[1] > 12 else "")
        raise ConfigError(f"The {role} column '{column}' is not in the data (columns: {shown}). Fix {option}.")


def require_columns(df: pd.DataFrame, target: str, *, group: str | None = None, time: str | None = None) -> None:
    """Refuse column names that are not in a table (a usage error); a table without columns passes.

    A table with no columns at all is a data problem, which the quality gate reports.

    Raises:
        ConfigError: Naming the missing column and the option to fix.
    """
    if df.shape[1] == 0:
        return
    for column, role, option in ((target, "target", "--target"), (group, "group", "--group"), (time, "time", "--time")):
        if column is not None:
            _require_column(df, column, role, option)


def raw_dataset(df: pd.DataFrame, target: str, *, group: str | None = None, time: str | None = None) -> Dataset:
    """Split a table without checking it, for reporting on data the quality gate refused."""
    dropped = [c for c in (target, group, time) if c is not None and c in df.columns]
    y = df[target] if target in df.columns else pd.Series(index=df.index, dtype=object, name=target)
    return Dataset(X=df.drop(columns=dropped), y=y, target=target, fingerprint=fingerprint(df),
                   columns=tuple(map(str, df.columns)))


def make_dataset(df: pd.DataFrame, target: str, *, group: str | None = None, time: str | None = None) -> Dataset:
    """Split a table into features and target, refusing tables no model can learn from.

    Args:
        df: The table as loaded.
        target: The target column.
        group: Optional column of group labels; it is not used as a feature.
        time: Optional column of times; it is not used as a feature.

    Returns:
        The dataset.

    Raises:
        ConfigError: If a named column is missing.
        DataError: If the table is empty or the target has missing values.
    """
    if df.shape[1] == 0 or len(df) == 0:
        raise DataError("The data table is empty (no rows). Check the file and the export that produced it.")
    _require_column(df, target, "target", "--target")
    for column, role, option in ((group, "group", "--group"), (time, "time", "--time")):
        if column is not None:
            _require_column(df, column, role, option)
    y = df[target]
    missing = y.isna() | (y.astype("string").str.strip() == "")
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())
        shown = ", ".join(map(str, rows[:5])) + (", ..." if rows.size > 5 else "")
        raise DataError(
            f"The target column '{target}' has {rows.size} missing value(s) (rows {shown}). "
            "Drop or label those rows before checking."
        )
    dropped = [c for c in (target, group, time) if c is not None]
    X = df.drop(columns=dropped)
    if X.shape[1] == 0:
        raise DataError(f"The data has no feature columns besides the target '{target}'.")
    return Dataset(
        X=X,
        y=y,
        target=target,
        groups=df[group] if group else None,
        time=df[time] if time else None,
        fingerprint=fingerprint(df),
        columns=tuple(map(str, df.columns)),
    )


def _plain(value: object) -> object:
    """numpy scalars as Python values, so messages read 'Class 1', not 'Class np.int64(1)'."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def check_classes(y: pd.Series, *, n_splits: int) -> None:
    """Refuse a classification target with one class or a class rarer than the folds.

    Raises:
        DataError: With the class and its count.
    """
    counts = y.value_counts()
    if len(counts) < 2:
        raise DataError(
            f"The target has a single class ({_plain(counts.index[0])!r}); a classifier needs at least two. "
            "Check the target column or the extract."
        )
    rare = counts[counts < n_splits]
    if len(rare):
        label, count = _plain(rare.index[-1]), int(rare.iloc[-1])
        raise DataError(
            f"Class {label!r} has {count} row(s), fewer than the {n_splits} folds. "
            f"Use --folds {max(2, count)} or fewer, or add rows of that class."
        )


def check_holdout_columns(data_columns: tuple[str, ...], holdout: pd.DataFrame) -> None:
    """Refuse a holdout whose columns differ from the training data's.

    Raises:
        DataError: Naming the missing and the extra columns.
    """
    have = list(map(str, holdout.columns))
    missing = [c for c in data_columns if c not in have]
    extra = [c for c in have if c not in data_columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"extra {extra}")
        raise DataError(
            f"The holdout's columns differ from the data's: {'; '.join(parts)}. "
            "Export the holdout with the same columns as --data."
        )
