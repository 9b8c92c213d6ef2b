import numpy as np
import pandas as pd
import pytest

from gapgates.data.tables import check_classes, check_holdout_columns, fingerprint, load_table, make_dataset
from gapgates.errors import COMMAND_LINE, ConfigError, DataError, spelled


def test_csv_and_parquet_load_the_same_table(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"], "t": [0, 1, 0]})
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet", index=False)
    csv, pq = load_table(tmp_path / "d.csv"), load_table(tmp_path / "d.parquet")
    assert list(csv.index) == [0, 1, 2]
    assert csv["a"].tolist() == pq["a"].tolist() and csv["b"].tolist() == pq["b"].tolist()


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match=r"'.*nope.csv' does not exist"):
        load_table(tmp_path / "nope.csv")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(ConfigError, match=r"cannot be read as Parquet"):
        load_table(tmp_path / "bad.parquet")


def test_fingerprint_tracks_values_and_columns():
    df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    assert fingerprint(df) == fingerprint(df.copy())
    assert fingerprint(df) != fingerprint(df.assign(b=[3, 5]))
    assert fingerprint(df) != fingerprint(df.rename(columns={"b": "c"}))


def test_make_dataset_drops_target_group_time_from_features():
    df = pd.DataFrame({"x": [1, 2, 3, 4], "g": [0, 0, 1, 1], "when": [1, 2, 3, 4], "y": [0, 1, 0, 1]})
    ds = make_dataset(df, "y", group="g", time="when")
    assert list(ds.X.columns) == ["x"]
    assert ds.groups.tolist() == [0, 0, 1, 1] and ds.time.tolist() == [1, 2, 3, 4]
    assert ds.rows == 4 and len(ds.fingerprint) == 64


def test_missing_target_column_names_the_columns():
    with spelled(COMMAND_LINE), pytest.raises(ConfigError, match=r"not in the data \(columns: x, y\)\. Fix --target\.$"):
        make_dataset(pd.DataFrame({"x": [1], "y": [0]}), "label")
    # from Python, the fix names the argument (a CheckConfig's field), not the flag
    with pytest.raises(ConfigError, match=r"target column 'label' is not in the data \(columns: x, y\)\. Fix target\.$"):
        make_dataset(pd.DataFrame({"x": [1], "y": [0]}), "label")


def test_missing_group_column():
    with spelled(COMMAND_LINE), pytest.raises(ConfigError, match=r"group column 'g'.*--group"):
        make_dataset(pd.DataFrame({"x": [1], "y": [0]}), "y", group="g")
    with pytest.raises(ConfigError, match=r"group column 'g'.*Fix group\.$"):
        make_dataset(pd.DataFrame({"x": [1], "y": [0]}), "y", group="g")


def test_empty_table():
    with pytest.raises(DataError, match=r"empty"):
        make_dataset(pd.DataFrame({"x": [], "y": []}), "y")


@pytest.mark.parametrize("bad", [np.nan, None, ""])
def test_missing_target_values_name_the_rows(bad):
    df = pd.DataFrame({"x": [1, 2, 3], "y": ["a", bad, "b"]})
    with pytest.raises(DataError, match=r"1 missing value\(s\) \(rows 1\)"):
        make_dataset(df, "y")


def test_single_class_and_rare_class():
    with pytest.raises(DataError, match=r"single class"):
        check_classes(pd.Series([1, 1, 1]), n_splits=2)
    with (
        spelled(COMMAND_LINE),
        pytest.raises(DataError, match=r"Class 'b' has 2 row\(s\), fewer than the 5 folds\. Use --folds 2 or fewer"),
    ):
        check_classes(pd.Series(["a"] * 10 + ["b"] * 2), n_splits=5)
    with spelled({"folds": "n_splits"}), pytest.raises(DataError, match=r"5 folds\. Set n_splits=2 or fewer, or add rows"):
        check_classes(pd.Series(["a"] * 10 + ["b"] * 2), n_splits=5)
    check_classes(pd.Series(["a"] * 10 + ["b"] * 5), n_splits=5)


def test_holdout_columns_must_match():
    with pytest.raises(DataError, match=r"missing \['b'\]; extra \['c'\]"):
        check_holdout_columns(("a", "b"), pd.DataFrame({"a": [1], "c": [2]}))
    check_holdout_columns(("a", "b"), pd.DataFrame({"b": [1], "a": [2]}))


def test_header_only_reads_the_columns_and_no_rows(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "label": [0, 1, 0]})
    csv, parquet = tmp_path / "t.csv", tmp_path / "t.parquet"
    frame.to_csv(csv, index=False)
    frame.to_parquet(parquet)
    for path in (csv, parquet):
        header = load_table(path, header_only=True)
        assert list(header.columns) == ["a", "b", "label"] and len(header) == 0
    assert load_table(parquet, header_only=True)["a"].dtype == frame["a"].dtype
