"""Property-based fuzzing (hypothesis) of the loaders hostile input reaches first.

Whatever the document, each loader either returns or raises a :class:`GapGatesError` (one line,
exit 2 on the command line): never another exception, never a traceback. Generated documents are
structured (valid TOML/YAML/JSON whose keys and values vary) and raw (arbitrary text and bytes).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapgates.errors import GapGatesError

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)

SECTIONS = ["gap", "performance", "noise", "shift", "leakage", "quality", "champion", "trend", "notify", "decision", "x"]
KEYS = [
    "metrics",
    "max_gap",
    "max_relative_gap",
    "gate_on",
    "confidence",
    "min_test_score",
    "min_gain_over_baseline",
    "max_rate",
    "max_class_rate",
    "filter_by",
    "max_auc",
    "required",
    "suite",
    "min_rows",
    "labels",
    "window",
    "webhook_url",
    "on",
    "timeout",
    "on_fail",
    "approval_timeout",
    "limit",
    "severity",
    "y",
]
TEXT = st.text(max_size=24) | st.sampled_from(
    ["upper", "mean", "block", "warn", "accuracy", "roc_auc", "$\\frac{", "http://127.0.0.1:1/x", "needs_approval", "..", "\x00"]
)
SCALARS = st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | TEXT
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4), max_leaves=20
)
POLICIES = st.dictionaries(
    st.sampled_from(SECTIONS), st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5) | VALUES, max_size=6
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(doc: dict[str, Any]) -> str:
    """A small TOML writer: each section a table, every value inline."""
    lines = []
    for name, body in doc.items():
        if isinstance(body, dict):
            lines.append(f"[{json.dumps(name)}]")
            lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in body.items()]
        else:
            lines.insert(0, f"{json.dumps(name)} = {_toml_value(body)}")
    return "\n".join(lines) + "\n"


def _loads_or_refuses(load: Any, *args: Any) -> Any:
    try:
        return load(*args)
    except GapGatesError as err:
        assert str(err).strip(), "an error names the problem"
        return None


@FUZZ
@given(doc=POLICIES, fmt=st.sampled_from(["toml", "yaml"]))
def test_policy_loader_on_generated_documents(tmp_path_factory, doc, fmt):
    import yaml

    from gapgates.judge.policy import Policy, load_policy

    path = tmp_path_factory.mktemp("policy") / f"policy.{fmt}"
    path.write_text(to_toml(doc) if fmt == "toml" else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    policy = _loads_or_refuses(load_policy, path)
    assert policy is None or isinstance(policy, Policy)


@FUZZ
@given(
    data=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8")),
    fmt=st.sampled_from(["toml", "yaml", "yml"]),
)
def test_policy_loader_on_raw_bytes(tmp_path_factory, data, fmt):
    from gapgates.judge.policy import load_policy

    path = tmp_path_factory.mktemp("policy") / f"policy.{fmt}"
    path.write_bytes(data)
    _loads_or_refuses(load_policy, path)


CELLS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True).map(repr),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=8),
    st.sampled_from(["", "NA", "nan", "inf", "-", '"', '""', "2024-01-01", "true"]),
)


@st.composite
def csv_texts(draw: Any) -> bytes:
    width = draw(st.integers(0, 5))
    header = draw(st.lists(st.sampled_from(["a", "b", "y", "t", "", "a"]) | st.text(max_size=4), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=width + 1), max_size=12))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    return ("\n".join(lines) + draw(st.sampled_from(["", "\n"]))).encode("utf-8")


@FUZZ
@given(
    data=csv_texts() | st.binary(max_size=300),
    suffix=st.sampled_from([".csv", ".parquet", ".txt"]),
    target=st.sampled_from(["a", "b", "y"]),
    time=st.sampled_from([None, "t"]),
)
def test_table_loader_on_generated_files(tmp_path_factory, data, suffix, target, time):
    from gapgates.data.tables import check_classes, check_labels, load_table, make_dataset, require_columns

    path = tmp_path_factory.mktemp("table") / f"data{suffix}"
    path.write_bytes(data)
    table = _loads_or_refuses(load_table, path)
    if table is None:
        return
    try:
        require_columns(table, target, time=time)
        dataset = make_dataset(table, target, time=time)
        check_labels(dataset.y)
        check_classes(dataset.y, n_splits=2)
    except GapGatesError as err:
        assert str(err).strip()


@FUZZ
@given(data=csv_texts())
def test_table_header_only_reading_agrees_with_the_full_read(tmp_path_factory, data):
    from gapgates.data.tables import load_table

    path = tmp_path_factory.mktemp("table") / "data.csv"
    path.write_bytes(data)
    full, header = _loads_or_refuses(load_table, path), None
    try:
        header = load_table(path, header_only=True)
    except GapGatesError:
        assert full is None  # the header is refused only when the whole file is
    if full is not None and header is not None:
        assert list(map(str, header.columns)) == list(map(str, full.columns))


@pytest.fixture(scope="module")
def base_report(tmp_path_factory) -> dict[str, Any]:
    from tests.helpers import load, real_run, with_optional_sections

    return with_optional_sections(load(real_run(tmp_path_factory.mktemp("run"))))


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(obj, dict):
        return [leaf for k, v in obj.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(obj, list):
        return [leaf for i, v in enumerate(obj) for leaf in _leaves(v, (*path, i))]
    return [(path, obj)]


HOSTILE_TEXT = st.text(max_size=40) | st.sampled_from(
    ["$", "$\\frac{", "a$b$c", "\\", "<script>x</script>", "%s", "{", "}}", "$$", "\\mathrm{", "\u202e", "x" * 300]
)
HOSTILE_NUMBERS = (
    st.floats(allow_nan=False) | st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0, 1e15, -1e16]) | st.integers(-(10**30), 10**30)
)


def _like(value: Any) -> Any:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, (int, float)):
        return HOSTILE_NUMBERS
    if isinstance(value, str):
        return HOSTILE_TEXT
    return st.none() | HOSTILE_NUMBERS | HOSTILE_TEXT


@st.composite
def hostile_reports(draw: Any, base: dict[str, Any]) -> dict[str, Any]:
    """A real report with some leaves replaced (mostly by values of the same JSON type: many stay schema-valid)."""
    doc = copy.deepcopy(base)
    leaves = _leaves(base)
    for _ in range(draw(st.integers(1, 10))):
        path, old = draw(st.sampled_from(leaves))
        new = draw(_like(old) if draw(st.integers(0, 9)) else st.none() | st.lists(HOSTILE_NUMBERS, max_size=3))
        node: Any = doc
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = new
        except (KeyError, IndexError, TypeError):
            continue
    if draw(st.booleans()) and isinstance(doc.get("gap"), dict) and doc["gap"]:
        name = draw(HOSTILE_TEXT)
        doc["gap"] = {name if i == 0 else k: v for i, (k, v) in enumerate(doc["gap"].items())}
        doc["primary_metric"] = name
    if draw(st.integers(0, 4)) == 0 and isinstance(doc.get("gap"), dict):
        for g in doc["gap"].values():
            if isinstance(g, dict):
                g["folds"] = [
                    {"train": draw(HOSTILE_NUMBERS), "test": draw(HOSTILE_NUMBERS)} for _ in range(draw(st.integers(0, 30)))
                ]
    return doc


def test_report_from_on_generated_reports(base_report, tmp_path):
    from gapgates.report.build import rerender

    rendered = refused = 0

    @settings(max_examples=160, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    @given(doc=hostile_reports(base_report))
    def run(doc: dict[str, Any]) -> None:
        nonlocal rendered, refused
        folder = Path(tmp_path) / f"r{rendered + refused}"
        folder.mkdir()
        (folder / "report.json").write_text(json.dumps(doc), encoding="utf-8")
        try:
            paths = rerender(folder)
        except GapGatesError as err:
            refused += 1
            assert str(err).strip()
            return
        rendered += 1
        html = paths["html"].read_text(encoding="utf-8")
        assert "<script>x</script>" not in html  # text from the report is escaped

    run()
    assert rendered >= 20 and refused >= 10, (rendered, refused)  # both sides of the schema were exercised


@FUZZ
@given(text=st.text(max_size=300) | st.sampled_from(["[" * 5000, "{" * 3000 + "}" * 3000, '{"a": NaN}', "1e999"]))
def test_report_from_on_raw_text(tmp_path_factory, text):
    from gapgates.report.build import rerender

    folder = tmp_path_factory.mktemp("raw")
    (folder / "report.json").write_text(text, encoding="utf-8")
    _loads_or_refuses(rerender, folder)


def test_report_from_renders_hostile_but_schema_valid_values(base_report, tmp_path):
    """The cases of the issue: a metric named like mathtext, values of ±1e308, on the command line: one line or none."""
    from click.testing import CliRunner

    from gapgates.cli import cli

    doc = copy.deepcopy(base_report)
    metric = "$\\frac{a}{$ <b>"
    doc["gap"] = {
        metric: {
            **next(iter(doc["gap"].values())),
            "gap_mean": 1e308,
            "gap_ci_low": -1e308,
            "gap_ci_high": 1e308,
            "train_mean": -1e308,
            "folds": [{"train": 1e308, "test": -1e308}] * 5,
        }
    }
    doc["primary_metric"] = metric
    (tmp_path / "report.json").write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "--from", str(tmp_path)])
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;" in html and metric not in html  # the name is shown, escaped
