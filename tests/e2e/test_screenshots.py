"""docs/screenshots.py refreshes the docs' images from real runs with headless Chromium: its report and digest parts
(the approval part's page is checked by tests/e2e/test_approval.py on that module's server) write PNGs of the
expected width that are not blank, and the docs show each image the script makes."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT, assert_screenshot, docs_text


def test_the_script_writes_the_report_and_digest_images(chromium, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "screenshots.py"), "--only", "report,digest", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = {"report-screenshot.png": (900, 1250), "report-evidence.png": (1280, 1500), "digest.png": (1100, 900)}
    assert sorted(proc.stdout.split()) == sorted(str(tmp_path / name) for name in made)
    for name, (width, height) in made.items():
        assert_screenshot(tmp_path / name, width=width, min_height=height)


def test_the_docs_show_every_image_the_script_makes_and_it_refuses_an_unknown_part(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = docs_text()
    for images in module.PARTS.values():
        for name in images:
            assert f"{name})" in text, name  # referenced by a page
            assert (ROOT / "docs" / name).is_file(), name  # and committed
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "screenshots.py"), "--only", "report,nope", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Got nope." in proc.stderr and not list(tmp_path.iterdir())
