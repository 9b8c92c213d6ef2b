"""The HTML and Markdown reports, and `gapgates report --from`."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from markupsafe import escape
from report_fixtures import load, real_run, with_optional_sections

from gapgates.report import render_markdown, rerender
from gapgates.report_html import champion_rows, learning_curve_series, render_html


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return real_run(tmp_path_factory.mktemp("html"))


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


def test_optional_sections_render_only_when_present(run_dir):
    bare_report = load(run_dir)
    for key in ("quality", "noise", "noise_adjusted", "shift", "leakage", "diagnosis", "learning_curve"):
        bare_report.pop(key, None)  # real runs have these now; render without them
    bare = render_html(bare_report)
    for section in ("noise", "quality", "shift", "diagnosis", "learning-curve", "champion", "registry", "leakage"):
        assert f'id="{section}"' not in bare
    rich = render_html(with_optional_sections(load(run_dir)))
    for section in ("noise", "quality", "shift", "diagnosis", "learning-curve", "champion", "registry", "leakage"):
        assert f'id="{section}"' in rich
    assert "18.3%" in rich and "Relabel the flagged rows." in rich
    assert "expect_column_values_to_not_be_null" in rich
    assert "expect_table_row_count_to_be_between" not in rich  # only failed expectations are listed
    assert rich.count("<svg") == bare.count("<svg") + 1  # + learning curve
    assert 'id="champion-vs-challenger"' in rich and "0.7400" in rich  # the champion's accuracy beside the candidate's


def test_minimal_and_unknown_shapes_still_render():
    html = render_html({"decision": "needs_approval", "checks": [], "noise": {"rate": None, "weird": [[1, 2]]},
                        "learning_curve": {"something": "else"}, "champion": {"a": {"b": {"c": {"d": 1}}}}})
    assert "NEEDS APPROVAL" in html and 'id="noise"' in html and "<svg" not in html


def test_learning_curve_series_reads_column_and_row_forms():
    assert learning_curve_series({"train_sizes": [1, 2], "train_scores": [[1, 1], [1, 1]],
                                  "test_scores": [[0.5, 0.7], [0.8, 0.8]]}) == ([1.0, 2.0], [1.0, 1.0], [0.6, 0.8])
    rows = [{"size": 10, "train": 1.0, "test": 0.7}, {"size": 20, "train": 0.9, "test": 0.8}]
    assert learning_curve_series(rows) == ([10.0, 20.0], [1.0, 0.9], [0.7, 0.8])
    assert learning_curve_series({"sizes": [1, 2], "train": [1.0], "test": [0.5, 0.6]}) is None
    assert learning_curve_series(None) is None


def test_champion_rows_put_the_champion_beside_the_candidate(run_dir):
    report = with_optional_sections(load(run_dir))
    (row,) = champion_rows(report)
    assert row["metric"] == "accuracy" and row["champion_test"] == 0.74
    assert row["test"] == report["gap"]["accuracy"]["test_mean"] and row["champion_gap"] is None
    assert champion_rows(load(run_dir)) == []


def test_markdown_has_the_optional_sections(run_dir):
    bare_report = {k: v for k, v in load(run_dir).items()
                   if k not in ("quality", "noise", "noise_adjusted", "shift", "leakage", "diagnosis", "learning_curve")}
    bare = render_markdown(bare_report)
    assert bare.startswith("# gapgates: BLOCK") and "| accuracy |" in bare and "Diagnosis" not in bare
    md = render_markdown(with_optional_sections(load(run_dir)))
    for text in ("## Diagnosis: noise", "- Relabel the flagged rows.", "18.3% of rows look mislabelled",
                 "| 17 | 1 | 0 |",
                 "## Data quality: FAILED", "expect_column_values_to_not_be_null", "AUC 0.8100", "## Learning curve",
                 "## Champion vs challenger", "regression 0.0200"):
        assert text in md, text


def test_report_from_rerenders_html_and_markdown(run_cli, run_dir, tmp_path):
    src = tmp_path / "copy"
    src.mkdir()
    report = with_optional_sections(load(run_dir))
    (src / "report.json").write_text(json.dumps(report), encoding="utf-8")
    proc = run_cli("report", "--from", str(src))
    assert proc.returncode == 0, proc.stderr
    assert 'id="diagnosis"' in (src / "report.html").read_text(encoding="utf-8")
    assert "## Diagnosis: noise" in (src / "report.md").read_text(encoding="utf-8")
    paths = rerender(src / "report.json", out=tmp_path / "elsewhere")
    assert paths["html"].parent == tmp_path / "elsewhere" and paths["html"].exists()


def test_report_from_errors_exit_2(run_cli, run_dir, tmp_path):
    proc = run_cli("report", "--from", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "No report at" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text("{not json", encoding="utf-8")
    proc = run_cli("report", "--from", str(tmp_path / "bad"))
    assert proc.returncode == 2 and "cannot be read as JSON" in proc.stderr
    shutil.copytree(run_dir, tmp_path / "wrong")
    report = load(tmp_path / "wrong")
    report["decision"] = "maybe"
    (tmp_path / "wrong" / "report.json").write_text(json.dumps(report), encoding="utf-8")
    proc = run_cli("report", "--from", str(tmp_path / "wrong"))
    assert proc.returncode == 2 and "does not match the report schema at 'decision'" in proc.stderr
