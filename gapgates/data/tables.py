"""Loading tables, fingerprinting them, and checking them before any model is fit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gapgates.errors import ConfigError, DataError, GapGatesError, brief, first_line, fix
from gapgates.format import plain

__all__ = [
    "Dataset",
    "check_classes",
    "check_holdout_columns",
    "check_labels",
    "check_numbers",
    "fingerprint",
    "load_table",
    "make_dataset",
    "parse_time",
    "raw_dataset",
    "require_columns",
]


def load_table(path: str | Path, *, header_only: bool = False, what: str = "Data file") -> pd.DataFrame:
    """Read a CSV or Parquet file; rows keep their 0-based file position as index.

    Args:
        path: A ``.csv`` (any other suffix is read as CSV) or ``.parquet``/``.pq`` file.
        header_only: Read only the column names (and Parquet's types): an empty table, fast
            at any size.
        what: How messages name the file (``"Holdout file (--holdout)"``).

    Returns:
        The table with a fresh ``RangeIndex``.

    Raises:
        ConfigError: If the file is missing or cannot be parsed.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{what} '{path}' is a directory. Pass a CSV or Parquet file.")
    if not path.exists():
        raise ConfigError(f"{what} '{path}' does not exist. Pass an existing CSV or Parquet file.")
    if not path.is_file():
        raise ConfigError(f"{what} '{path}' is not a regular file (a device, pipe or socket). Pass a CSV or Parquet file.")
    parquet = path.suffix.lower() in {".parquet", ".pq"}
    try:
        _refuse_duplicate_columns(path, _raw_header(path, parquet=parquet), what=what)
        if parquet:
            if header_only:
                import pyarrow.parquet as pq

                df = pq.read_schema(path).empty_table().to_pandas()
            else:
                df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, nrows=0 if header_only else None)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame()
    except GapGatesError:
        raise
    except (OSError, ValueError, pd.errors.ParserError, ImportError, ArithmeticError) as err:  # pyarrow errors are too
        raise ConfigError(
            f"{what} '{path}' cannot be read as {'Parquet' if parquet else 'CSV'}: {first_line(err).rstrip('.')}."
        ) from None
    except Exception as err:  # pyarrow's ArrowInvalid and friends derive from these; anything else is a bad file too
        if type(err).__module__.startswith(("pyarrow", "pandas", "csv", "_csv")):
            raise ConfigError(
                f"{what} '{path}' cannot be read as {'Parquet' if parquet else 'CSV'}: {first_line(err).rstrip('.')}."
            ) from None
        raise
    return df.reset_index(drop=True)


def _raw_header(path: Path, *, parquet: bool) -> list[str]:
    """The column names exactly as the file has them (pandas renames a repeated name 'a' to 'a.1')."""
    if parquet:
        import pyarrow.parquet as pq

        return [str(name) for name in pq.read_schema(path).names]
    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return []
    return [str(name) for name in first.iloc[0].tolist()] if len(first) else []


def _refuse_duplicate_columns(path: Path, names: list[str], *, what: str) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"{what} '{path}' has the column '{brief(name, 80)}' twice (columns {seen[name]} and "
                f"{position}); gapgates cannot tell which one is meant. Rename or drop one of them."
            )
        seen[name] = position


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
        # one column whose name holds the others: a file separated by something else than commas
        found = next((sep for sep in (";", "\t", "|") if sep in str(df.columns[0])), None) if df.shape[1] == 1 else None
        if found is not None:
            separator = "tabs" if found == "\t" else f"'{found}'"
            raise ConfigError(
                f"The {role} column '{column}' is not in the data, which reads as one column ({brief(shown, 120)}): the "
                f"file seems separated by {separator}, and gapgates reads comma-separated CSV. Convert it to commas."
            )
        raise ConfigError(
            f"The {role} column '{column}' is not in the data (columns: {shown}). {fix(f'Fix {option}', f'Fix {{{role}}}')}."
        )


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
    return Dataset(
        X=df.drop(columns=dropped), y=y, target=target, fingerprint=fingerprint(df), columns=tuple(map(str, df.columns))
    )


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
    if group is not None:
        _no_missing(df[group], f"The group column '{group}'", "a row without a group cannot be kept out of the other folds")
    return Dataset(
        X=X,
        y=y,
        target=target,
        groups=df[group] if group else None,
        time=parse_time(df[time], time) if time else None,
        fingerprint=fingerprint(df),
        columns=tuple(map(str, df.columns)),
    )


def _rows_text(mask: pd.Series | np.ndarray) -> tuple[int, str]:
    rows = np.flatnonzero(np.asarray(mask))
    return rows.size, ", ".join(map(str, rows[:5])) + (", ..." if rows.size > 5 else "")


def _no_missing(values: pd.Series, what: str, why: str) -> None:
    missing = values.isna()
    if missing.any():
        count, shown = _rows_text(missing)
        raise DataError(f"{what} has {count} missing value(s) (rows {shown}): {why}. Fill or drop those rows.")


def parse_time(values: pd.Series, column: str) -> pd.Series:
    """A time column as numbers or timestamps (text is parsed as dates, never sorted as text).

    Raises:
        DataError: When a value is missing, or is neither a number nor a date.

    Example:
        >>> parse_time(pd.Series(["2024-03-01", "2024-12-01"]), "t").dt.month.tolist()
        [3, 12]
    """
    _no_missing(values, f"The time column '{column}'", "a row without a time cannot be ordered")
    if pd.api.types.is_bool_dtype(values):
        raise DataError(f"The time column '{column}' holds true/false values, not times. {fix('Fix --time', 'Fix {time}')}.")
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns while it guesses the format of each value
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="mixed", utc=True)
    bad = parsed.isna()
    if bad.any():
        count, shown = _rows_text(bad)
        example = brief(str(values[bad].iloc[0]), 40)
        raise DataError(
            f"The time column '{column}' has {count} value(s) that are neither numbers nor dates (rows "
            f"{shown}; e.g. {example!r}). Fix those values or choose another {fix('--time', '{time}')} column."
        )
    return parsed


def check_labels(y: pd.Series, *, model: str = "the model") -> None:
    """Refuse a classification target that is not class labels (continuous values, or one value per row).

    Raises:
        DataError: Saying the target looks continuous and the model is a classifier.
    """
    from sklearn.utils.multiclass import type_of_target

    try:
        kind = type_of_target(y.to_numpy())
    except ValueError:  # mixed types: the class checks will name them
        return
    distinct = int(y.nunique())
    if kind == "continuous" or (distinct > max(50, len(y) // 2)):
        examples = ", ".join(
            f"{v:.4g}" if isinstance(v, float) else brief(repr(v), 30) for v in map(plain, y.drop_duplicates().iloc[:3])
        )
        raise DataError(
            f"The target '{y.name}' looks continuous ({distinct} distinct values in {len(y)} rows, e.g. "
            f"{examples}), but {model} is a classifier. Use a regressor, or a target of class labels."
        )


def check_numbers(y: pd.Series, *, model: str = "the model", what: str = "The target") -> None:
    """Refuse a regression target that is not finite numbers: text, or infinite values.

    A regressor fails on either deep inside its fit or its scorer, and the message then blamed the model. Missing
    values were refused before (:func:`make_dataset`).

    Args:
        y: The target column.
        model: The model, as the message names it.
        what: The column, as the message names it (``The holdout's target``).

    Raises:
        DataError: Naming the rows, an example and the fix.

    Example:
        >>> check_numbers(pd.Series([1.0, float("inf")], name="y"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        gapgates.errors.DataError: The target 'y' has 1 infinite value(s) (rows 1): no regressor can be fit...
    """
    if pd.api.types.is_bool_dtype(y):
        return
    numbers = pd.to_numeric(y, errors="coerce")
    text = numbers.isna().to_numpy()
    if text.any():
        count, shown = _rows_text(text)
        example = brief(repr(plain(y.iloc[int(np.flatnonzero(text)[0])])), 30)
        raise DataError(
            f"{what} '{y.name}' has {count} value(s) that are not numbers (rows {shown}; e.g. {example}), but {model} "
            "is a regressor. Use a classifier for class labels, or fix those values."
        )
    infinite = np.isinf(numbers.to_numpy(dtype=float))
    if infinite.any():
        count, shown = _rows_text(infinite)
        raise DataError(
            f"{what} '{y.name}' has {count} infinite value(s) (rows {shown}): no regressor can be fit or scored on "
            "them. Drop or fix those rows."
        )


def check_classes(y: pd.Series, *, n_splits: int) -> None:
    """Refuse a classification target with one class or a class rarer than the folds.

    Raises:
        DataError: With the class and its count.
    """
    counts = y.value_counts()
    if len(counts) < 2:
        raise DataError(
            f"The target has a single class ({plain(counts.index[0])!r}); a classifier needs at least two. "
            "Check the target column or the extract."
        )
    rare = counts[counts < n_splits]
    if len(rare):
        label, count = plain(rare.index[-1]), int(rare.iloc[-1])
        remedy = (
            f"{fix(f'Use --folds {count} or fewer', f'Set {{folds}}={count} or fewer')}, or add rows of that class"
            if count >= 2
            else "Add rows of that class or drop it: every fold needs at least one row of each class"
        )
        raise DataError(f"Class {brief(repr(label), 80)} has {count} row(s), fewer than the {n_splits} folds. {remedy}.")


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
            f"Export the holdout with the same columns as {fix('--data', '{data}')}."
        )
