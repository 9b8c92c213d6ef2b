"""The HTML report in real headless Chromium, and `gapgates report --from` as a real subprocess.

In Chromium: no console errors; the decision, the gap table and the charts are visible.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib

import pytest

from gapgates.report.build import render_files, rerender
from tests.helpers import Chromium, load, real_run, with_optional_sections

VISIBLE = """(() => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return {w: r.width, h: r.height, shown: s.display !== 'none' && s.visibility !== 'hidden'}; };
  return {
    decision: document.getElementById('decision').innerText.trim(),
    decisionBox: box(document.getElementById('decision')),
    gapRows: document.querySelectorAll('#gap-table tbody tr').length,
    gapBox: box(document.getElementById('gap-table')),
    perClassRows: document.querySelectorAll('#noise-per-class tbody tr').length,
    championRows: document.querySelectorAll('#champion-vs-challenger tbody tr').length,
    driftRows: document.querySelectorAll('#shift-columns tbody tr').length,
    driftBox: box(document.getElementById('shift-columns')),
    noiseReference: (document.getElementById('noise-reference') || {innerText: null}).innerText,
    segmentRows: document.querySelectorAll('#segments-table tbody tr').length,
    classRows: document.querySelectorAll('#per-class tbody tr').length,
    issueRows: document.querySelectorAll('#data-issues-table tbody tr').length,
    charts: [...document.querySelectorAll('figure svg')].map(s => ({...box(s),
      marks: s.querySelectorAll('path, use, line, polyline, rect').length, label: s.getAttribute('aria-label')})),
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    clientWidth: document.documentElement.clientWidth,
    external: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href')),
  };
})()"""


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    real_run(tmp, history=tmp / "h.sqlite")
    out = real_run(tmp, history=tmp / "h.sqlite")  # second run: the history chart has two points
    import json

    rich = with_optional_sections(json.loads((out / "report.json").read_text(encoding="utf-8")))
    rich_dir = tmp / "rich"
    rich_dir.mkdir()
    render_files(rich, rich_dir)
    return out, rich_dir


def _png_is_not_blank(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct greys in a row sample) of a PNG, read with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, len(set(raw[: min(len(raw), 4 * width * 200)]))


@pytest.mark.parametrize(("width", "mobile"), [(1000, False), (390, True)])
def test_report_renders_in_chromium(chromium, report_dir, tmp_path, width, mobile):
    plain, rich = report_dir
    for html in (plain / "report.html", rich / "report.html"):
        with Chromium(chromium, width=width, height=900, mobile=mobile) as browser:
            browser.open(html)
            page = browser.evaluate(VISIBLE)
            shot = browser.screenshot(tmp_path / f"{html.parent.name}-{width}.png")
            assert browser.errors() == []
        assert page["decision"].endswith("BLOCK") and page["decisionBox"]["shown"] and page["decisionBox"]["w"] > 50
        assert page["gapRows"] >= 1 and page["gapBox"]["h"] > 40
        assert page["perClassRows"] == 2  # both classes of the real noise section
        assert page["championRows"] == (0 if html.parent == plain else 2)  # folds and gap (no holdout)
        if html.parent == rich:  # the drift tests beside the adversarial AUC, and the noise reference line
            assert page["driftRows"] == 2 and page["driftBox"]["shown"] and page["driftBox"]["h"] > 40
            assert page["noiseReference"].startswith(
                "Reference: 12.0% flagged on the last accepted data (production version v1): a change of +6.3 points."
            )
        else:  # no holdout, and no promoted run in the history yet
            assert page["driftRows"] == 0 and page["noiseReference"].startswith("No reference noise rate: The history")
        # gap, folds, history, weak segments, confusion matrix, ROC/PR curves, reliability curve
        # (+ learning curve, training curve in the rich report)
        expected = 7 if html.parent == plain else 9
        assert len(page["charts"]) == expected, page["charts"]
        labels = " | ".join(chart["label"].lower() for chart in page["charts"])
        for name in ("weakest segments", "confusion matrix", "roc and precision", "reliability curve"):
            assert name in labels, labels
        assert page["segmentRows"] >= 1 and page["classRows"] == 2  # both classes of the real run
        assert page["issueRows"] == 3  # near_duplicate, outlier, class_imbalance from Datalab
        if html.parent == rich:
            assert any("training curve" in chart["label"].lower() for chart in page["charts"]), page["charts"]
        for chart in page["charts"]:
            assert chart["shown"] and chart["w"] > 150 and chart["h"] > 80 and chart["marks"] > 10, chart
            assert chart["label"]
        # a phone's layout viewport widens to fit wide content (innerWidth grows with it): compare with the device
        assert page["clientWidth"] == width and page["innerWidth"] == width, "the page must not widen the viewport"
        assert page["scrollWidth"] <= width, "the page must not scroll sideways on a phone"
        assert page["external"] == []
        w, h, greys = _png_is_not_blank(shot)
        assert (w, h) == ((width * 2, 1800) if mobile else (width, 900)) and greys > 20


def test_the_error_detector_sees_console_errors_and_blocked_fetches(chromium, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '<p>x</p><img src="http://127.0.0.1:9/x.png">',
        encoding="utf-8",
    )
    with Chromium(chromium) as browser:
        browser.open(page)
        errors = browser.errors()
    assert any("Content Security Policy" in e for e in errors), errors


# --- ``gapgates report --from``: re-render a report.json as HTML and Markdown ------------------------------


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
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text("{not json", encoding="utf-8")
    proc = run_cli("report", "--from", str(tmp_path / "bad"))
    assert proc.returncode == 2 and "is not valid JSON" in proc.stderr
    shutil.copytree(run_dir, tmp_path / "wrong")
    report = load(tmp_path / "wrong")
    report["decision"] = "maybe"
    (tmp_path / "wrong" / "report.json").write_text(json.dumps(report), encoding="utf-8")
    proc = run_cli("report", "--from", str(tmp_path / "wrong"))
    assert proc.returncode == 2 and "does not match the report schema at 'decision'" in proc.stderr
