"""The HTML and Markdown reports of a real run (`gapgates report --from` is in tests/e2e/test_html.py)."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from gapgates.measurements.champion import champion_rows
from gapgates.report.build import render_markdown
from gapgates.report.html import render_html
from tests.helpers import load, with_optional_sections


def test_check_writes_a_self_contained_html_report(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    report = load(run_dir)
    assert report["decision"] == "block"
    assert 'id="decision"' in html and "BLOCK" in html
    assert 'id="gap-table"' in html and "accuracy" in html
    assert html.count("<svg") >= 2  # gap interval chart + per-fold chart, inline
    # nothing is fetched: no external src/href, and a CSP that forbids fetching
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "default-src 'none'" in html
    for reason in report["reasons"]:
        assert str(escape(reason)) in html


OPTIONAL = ("quality", "noise", "noise_adjusted", "shift", "leakage", "diagnosis", "learning_curve", "training_curve")


def test_optional_sections_render_only_when_present(run_dir):
    bare_report = load(run_dir)
    for key in OPTIONAL:
        bare_report.pop(key, None)  # real runs have these now; render without them
    bare = render_html(bare_report)
    sections = (
        "noise",
        "noise_adjusted",
        "quality",
        "shift",
        "diagnosis",
        "learning-curve",
        "champion",
        "registry",
        "leakage",
        "training-curve",
    )
    for section in sections:
        assert f'id="{section}"' not in bare
    rich = render_html(with_optional_sections(load(run_dir)))
    for section in sections:
        assert f'id="{section}"' in rich
    assert "18.3%" in rich and "Relabel the flagged rows." in rich and "Also seen: overfit." in rich
    assert "expect_column_values_to_not_be_null" in rich
    assert "expect_table_row_count_to_be_between" not in rich  # only failed expectations are listed
    assert "Stop early: <code>--param max_iter=1</code>" in rich
    assert rich.count("<svg") == bare.count("<svg") + 2  # + learning curve, training curve


def _row(html: str, table_id: str, first_cell: str) -> list[str]:
    """The cells of the row of table ``table_id`` whose first cell is ``first_cell``."""
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in {table_id}")


def test_real_section_shapes_render_their_numbers(run_dir):
    report = with_optional_sections(load(run_dir))
    html = render_html(report)
    assert _row(html, "noise-per-class", "1") == ["1", "152", "30", "0.1974", "0.2114"]
    assert _row(html, "noise-issues", "17") == ["17", "1", "0", "0.0120"]
    assert _row(html, "noise-adjusted-table", "accuracy")[1:6] == [
        "1.0000",
        "0.8712",
        "0.1288",
        "[0.0815, 0.1761]",
        f"{report['gap']['accuracy']['gap_mean']:.4f}",
    ]
    assert "<strong>93%</strong>" in html  # memorised share of the flagged rows
    assert _row(html, "shift-features", "x7") == ["x7", "0.6897"]
    assert _row(html, "leakage-features", "x4") == ["x4", "0.7646"]
    assert "2 of 60 holdout rows copy a training row exactly" in html and "12, 40, 57" in html
    assert _row(html, "learning-curve-table", "200") == ["200", "1.0000", "0.7050", "0.2950"]
    assert "More data helps" in html and "more data would likely help" in html
    test = report["gap"]["accuracy"]["test_mean"]
    assert _row(html, "champion-vs-challenger", "accuracy, mean of the same test folds") == [
        "accuracy, mean of the same test folds",
        f"{test:.4f}",
        "0.7400",
        f"{test - 0.74:.4f}",
    ]
    assert "Registered as v7; not promoted. Production: v6." in html


def test_champion_rows_put_the_champion_beside_the_candidate(run_dir):
    report = with_optional_sections(load(run_dir))
    gap = report["gap"]["accuracy"]
    folds, recorded = champion_rows(report)  # no holdout in this run: no holdout row
    assert folds["challenger"] == gap["test_mean"] and folds["champion"] == 0.74
    assert folds["difference"] == pytest.approx(gap["test_mean"] - 0.74)
    assert recorded["challenger"] == gap["gap_mean"] and recorded["champion"] == 0.2125
    report["holdout"] = {"accuracy": {"train": 1.0, "test": 0.7, "gap": 0.3}}
    report["champion"] = {**report["champion"], "holdout": 0.75}
    holdout = champion_rows(report)[1]
    assert holdout["what"] == "accuracy on the holdout" and holdout["difference"] == pytest.approx(-0.05)
    assert champion_rows({**report, "champion": {**report["champion"], "version": None}}) == []
    assert champion_rows(load(run_dir)) == []


def test_markdown_has_the_optional_sections(run_dir):
    bare_report = {k: v for k, v in load(run_dir).items() if k not in OPTIONAL}
    bare = render_markdown(bare_report)
    assert bare.startswith("# gapgates: BLOCK") and "| accuracy |" in bare and "Diagnosis" not in bare
    report = with_optional_sections(load(run_dir))
    md = render_markdown(report)
    test = report["gap"]["accuracy"]["test_mean"]
    for text in (
        "## Diagnosis: noise",
        "- Relabel the flagged rows.",
        "18.3% of rows look mislabelled (55 of 300 rows)",
        "| 1 | 152 | 30 | 0.1974 | 0.2114 |",
        "| 17 | 1 | 0 |",
        "Noise-adjusted gap (accuracy): 0.1288",
        "## Data quality: FAILED",
        "expect_column_values_to_not_be_null",
        "AUC 0.8100",
        "x3 (0.6931)",
        "2 holdout rows copy a training row exactly; duplicate rate 0.0500; top column x1 (0.7869)",
        "## Learning curve",
        "| 200 | 1.0000 | 0.7050 | 0.2950 |",
        "## Champion vs challenger",
        f"| accuracy, mean of the same test folds | {test:.4f} | 0.7400 |",
        "Registered as v7; not promoted. Production: v6.",
    ):
        assert text in md, text
    first = {**report, "champion": {**report["champion"], "version": None, "reason": "No production model yet."}}
    assert "No production model yet." in render_markdown(first)
