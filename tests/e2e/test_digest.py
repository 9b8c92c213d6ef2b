"""``gapgates digest`` as a real subprocess, its page in real headless Chromium at desktop and phone widths."""

from __future__ import annotations

import pytest

from tests.helpers import LONG_MODEL, Chromium, digest_world

PAGE = """(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return {w: r.width, h: r.height, right: r.right, shown: s.display !== 'none' && s.visibility !== 'hidden'}; };
  return {
    models: [...document.querySelectorAll('section.model')].map(s => ({id: s.id,
      name: s.querySelector('h2').innerText.trim(),
      charts: [...s.querySelectorAll('figure svg')].map(svg => ({...box(svg),
        marks: svg.querySelectorAll('path, use, line, polyline, rect').length, label: svg.getAttribute('aria-label')})),
      decisions: s.querySelectorAll('table.last-decisions tbody tr').length,
      openApprovals: s.querySelectorAll('ul.open-approvals li').length})),
    overviewRows: document.querySelectorAll('#models-table tbody tr').length,
    widest: Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right)),
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    clientWidth: document.documentElement.clientWidth,
    external: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href'))
      .filter(h => !h.startsWith('#')),
  };
})()"""


@pytest.fixture(scope="module")
def digest_html(tmp_path_factory):
    from tests.helpers import run_cli_process

    root = tmp_path_factory.mktemp("digest")
    history, registry = digest_world(root)
    proc = run_cli_process("digest", "--history", str(history), "--registry", str(registry), "--out", str(root / "out"))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return root / "out" / "digest.html"


@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (375, True)])
def test_digest_renders_in_chromium_with_one_trend_chart_per_model(chromium, digest_html, width, mobile):
    with Chromium(chromium, width=width, height=900, mobile=mobile) as browser:
        browser.open(digest_html)
        page = browser.evaluate(PAGE)
        assert browser.errors() == []
    assert [m["name"] for m in page["models"]] == ["churn", "fraud", LONG_MODEL] and page["overviewRows"] == 3
    for model in page["models"]:
        (chart,) = model["charts"]  # exactly one trend chart per model
        assert chart["label"].startswith(f"Gap trend of {model['name']}:"), chart
        assert chart["shown"] and chart["w"] > 150 and chart["h"] > 80 and chart["marks"] > 10, chart
        assert chart["right"] <= width + 0.5, chart
        assert model["decisions"] >= 3
    assert {m["name"]: m["openApprovals"] for m in page["models"]} == {"churn": 0, "fraud": 1, LONG_MODEL: 0}
    # a phone's layout viewport widens to fit content (innerWidth grows): compare with the device width itself
    assert page["clientWidth"] == width and page["innerWidth"] == width, "the page must not widen the viewport"
    assert page["scrollWidth"] <= width, "the page must not scroll sideways"
    assert page["widest"] <= width + 0.5, "no element may stick out of the screen"
    assert page["external"] == []
