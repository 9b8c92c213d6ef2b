"""Refresh the docs' screenshots with headless Chromium, from real runs (nothing here is drawn by hand).

Run from the checkout, in the dev venv (``make install-dev``; Debian's ``chromium`` installed)::

    .venv/bin/python docs/screenshots.py                 # every image, into docs/
    .venv/bin/python docs/screenshots.py --only report,digest --out /tmp/shots

- ``report-screenshot.png``: the top of the demo's ``unbounded-tree/report.html`` (``gapgates demo``), 900 px wide.
- ``report-evidence.png``: the weak segments, how the model errs and the training-data issues of a random forest's
  ``report.html`` on generated data with a planted weak segment (``region = d``, random labels) and copied rows.
- ``digest.png``: ``gapgates digest`` of the demo's history and registry (``digest.html``).
- ``approval-ui.png``: the *Resume* form of a flow run paused for approval in the Prefect UI, on a local server started with the
  Prefect guide's ``PREFECT_UI_API_URL=... prefect server start`` line, its worker and deployment set up by the guide's
  ``prefect.yaml`` commands (1.8 to 4.5 minutes on a 2-core machine, idle to loaded).

Servers and browsers are started on 127.0.0.1 and stopped by their PIDs (the test suite's helpers).
"""

from __future__ import annotations

import argparse
import base64
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import Chromium, PrefectServer, deployed_project, doc_commands, find_chromium, run_cli_process  # noqa: E402

#: Every image, by the part that makes it.
PARTS = {
    "report": ("report-screenshot.png", "report-evidence.png"),
    "digest": ("digest.png",),
    "approval": ("approval-ui.png",),
}
#: The line of the Prefect guide that starts a server whose UI finds its API on another port.
UI_SERVER = "PREFECT_UI_API_URL="


def _cli(*args: str, cwd: Path, codes: tuple[int, ...] = (0,)) -> str:
    proc = run_cli_process(*args, cwd=cwd)
    if proc.returncode not in codes:
        raise SystemExit(f"gapgates {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc.stdout


def demo_project(work: Path) -> Path:
    """A project where ``gapgates demo --out demo-report`` ran (the shipped policies beside it, as in a checkout)."""
    shutil.copytree(ROOT / "gapgates" / "policies", work / "gapgates" / "policies")
    _cli("demo", "--out", "demo-report", cwd=work)
    return work


def _clip(browser: Chromium, first: str, last: str, path: Path) -> None:
    """Save the part of the page from the top of element ``first`` to the bottom of element ``last``."""
    top, bottom, width = browser.evaluate(
        f"[document.querySelector('{first}').getBoundingClientRect().top + window.scrollY - 16,"
        f" document.querySelector('{last}').getBoundingClientRect().bottom + window.scrollY + 16,"
        " document.documentElement.scrollWidth]"
    )
    clip = {"x": 0, "y": top, "width": width, "height": bottom - top, "scale": 1}
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
    path.write_bytes(base64.b64decode(shot["data"]))


def evidence_data(path: Path, n: int = 1200, seed: int = 0) -> Path:
    """Generated 2-class rows: four numeric columns, a ``region`` column whose value ``d`` has random labels, and a
    share of rows copied (some with the other label), the cases the evidence sections show."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    region = rng.choice(list("abcd"), size=n)
    y = (X[:, 0] + 0.8 * X[:, 1] - 0.5 * X[:, 2] + rng.normal(scale=0.6, size=n) > 0).astype(int)
    y = np.where(region == "d", rng.integers(0, 2, n), y)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]).assign(region=region, label=y)
    copies = frame.sample(40, random_state=seed)
    relabelled = copies.head(12).assign(label=lambda f: 1 - f["label"])
    pd.concat([frame, copies.iloc[12:], relabelled], ignore_index=True).to_csv(path, index=False)
    return path


def report_images(browser_path: str, work: Path, out: Path) -> list[Path]:
    """``report-screenshot.png`` (the demo's blocked tree) and ``report-evidence.png`` (a random forest's evidence)."""
    project = demo_project(work / "report")
    with Chromium(browser_path, width=900, height=1250) as browser:
        browser.open(project / "demo-report" / "unbounded-tree" / "report.html")
        browser.screenshot(out / "report-screenshot.png")
    data = evidence_data(work / "segments.csv")
    _cli(
        "check", "--data", str(data), "--target", "label", "--model", "sklearn.ensemble.RandomForestClassifier",
        "--param", "n_estimators=50", "--param", "random_state=0", "--name", "forest", "--out", "forest", cwd=work,
        codes=(0, 1),
    )  # fmt: skip
    with Chromium(browser_path, width=1280, height=900) as browser:
        browser.open(work / "forest" / "report.html")
        _clip(browser, "#segments", "#data-issues", out / "report-evidence.png")
    return [out / "report-screenshot.png", out / "report-evidence.png"]


def digest_image(browser_path: str, work: Path, out: Path) -> list[Path]:
    """``digest.png``: ``gapgates digest`` of the demo's history, registry and policy."""
    project = demo_project(work / "digest")
    _cli(
        "digest", "--history", "demo-report/history.sqlite", "--registry", "demo-report/registry",
        "--policy", "gapgates/policies/demo.toml", "--out", "demo-report/digest", cwd=project,
    )  # fmt: skip
    with Chromium(browser_path, width=1100, height=900) as browser:
        browser.open(project / "demo-report" / "digest" / "digest.html")
        browser.screenshot(out / "digest.png", full_page=True)
    return [out / "digest.png"]


def ui_server(home: Path) -> PrefectServer:
    """A local Prefect server with its UI, started by the Prefect guide's ``PREFECT_UI_API_URL=...`` line."""
    [line, *_] = doc_commands("guides/prefect.md", UI_SERVER)
    return PrefectServer(home, command=line, PREFECT_UI_ENABLED="true", PREFECT_WORKER_QUERY_SECONDS="2")


def paused_run_image(browser_path: str, server: PrefectServer, run_id: object, path: Path) -> str:
    """Open the UI's page of the paused flow run ``run_id``, open its *Resume* form (the evidence the run published:
    the diagnosis, the failing checks, links to the report artifacts) and save it; return the form's text."""
    with Chromium(browser_path, width=1400, height=1000) as browser:
        # the server serves its UI at / on the API's port, and the UI's own router shows the run's page (the
        # server answers 404 to a deep link)
        browser.call("Page.navigate", url=f"{server.url.removesuffix('/api')}/")
        browser.wait_for("Page.loadEventFired", timeout=60)
        browser.evaluate(f"history.pushState(null, '', '/runs/flow-run/{run_id}'); dispatchEvent(new PopStateEvent('popstate'))")
        _until(browser, "document.body.innerText.includes('Paused') && document.body.innerText.includes('Open menu')")
        _click(browser, "[...document.querySelectorAll('button')].find(e => e.innerText.trim() === 'Open menu')")
        _until(browser, "[...document.querySelectorAll('[role=menuitem]')].some(e => e.innerText.trim() === 'Resume')")
        _click(browser, "[...document.querySelectorAll('[role=menuitem]')].find(e => e.innerText.trim() === 'Resume')")
        form = "document.querySelector('[role=dialog]')"
        _until(browser, f"{form} !== null && {form}.innerText.includes('needs approval')")
        time.sleep(1)  # the dialog's opening animation
        browser.screenshot(path)
        return str(browser.evaluate(f"{form}.innerText"))


def _until(browser: Chromium, condition: str, timeout: float = 90) -> None:
    """Wait until the JavaScript ``condition`` holds in the page."""
    deadline = time.monotonic() + timeout
    while not browser.evaluate(condition):
        if time.monotonic() > deadline:
            text = browser.evaluate("document.body.innerText") or ""
            raise SystemExit(f"the Prefect UI never showed {condition}: {text[:500]!r}")
        time.sleep(1)


def _click(browser: Chromium, element: str) -> None:
    """Click the middle of the element the JavaScript expression ``element`` finds, as a mouse does (the UI's menus
    open on pointer events, not on ``element.click()``)."""
    middle = "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];"
    x, y = browser.evaluate(f"(() => {{ const e = {element}; {middle} }})()")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


def approval_image(browser_path: str, work: Path, out: Path) -> list[Path]:
    """``approval-ui.png``: the demo's unbounded tree, with ``on_fail = "needs_approval"``, paused in the Prefect UI."""
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from gapgates.demo import DEMO_POLICY_PATH

    project = demo_project(work / "approval")
    policy = project / "approval.toml"
    policy.write_text(DEMO_POLICY_PATH.read_text().replace('on_fail = "block"', 'on_fail = "needs_approval"'))
    toml = (
        'data = "../demo-report/breast_cancer.csv"\ntarget = "target"\nmodel = "sklearn.tree.DecisionTreeClassifier"\n'
        f'name = "unbounded-tree"\npolicy = "{policy}"\nout = "../demo-report/approval"\n'
    )
    with ui_server(work / "approval-home") as server:
        deployed_project(project, server, toml)
        with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
            run = run_deployment("retrain-and-gate/scheduled-retrain", timeout=0)
            _wait(lambda: client.read_flow_run(run.id).state, 300)
        paused_run_image(browser_path, server, run.id, out / "approval-ui.png")
    return [out / "approval-ui.png"]


def _wait(state: Callable[[], Any], timeout: float) -> None:
    """Wait until ``state()`` is Paused; a final state or ``timeout`` seconds end the script."""
    deadline = time.monotonic() + timeout
    while not (now := state()).is_paused():
        if now.is_final() or time.monotonic() > deadline:
            raise SystemExit(f"the run did not pause for approval: {now}")
        time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"Comma-separated parts: {', '.join(PARTS)}.")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="Directory for the PNG files (default: docs/).")
    args = parser.parse_args(argv)
    parts = args.only.split(",")
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--only takes {', '.join(PARTS)}. Got {', '.join(unknown)}.")
    browser, why = find_chromium()
    if browser is None:
        parser.error(why)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    makers = {"report": report_images, "digest": digest_image, "approval": approval_image}
    with tempfile.TemporaryDirectory(prefix="gapgates-shots-") as work:
        for part in parts:
            for path in makers[part](browser, Path(work), out):
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
