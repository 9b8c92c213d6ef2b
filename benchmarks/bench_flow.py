"""The flow's overhead over ``gapgates check``, against a running local Prefect server.

    python benchmarks/bench_flow.py [--repeat 5]

Starts ``prefect server start`` on 127.0.0.1 with a temporary PREFECT_HOME (or uses
PREFECT_API_URL when set), then times the same gate (breast-cancer data, scaled logistic
regression, demo policy, 5 folds):

- in process, warm: ``run_check(config)`` vs the ``retrain-and-gate`` flow (cache refreshed,
  so every fold is refit);
- end to end: the ``gapgates check`` vs ``gapgates run`` commands (imports included).

Target: flow overhead <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    """Start a local Prefect server; return it and its API URL once healthy."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(1)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("prefect server did not start")


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Flow overhead over gapgates check.")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gapgates-bench-"))
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server, url = start_server(tmp / "prefect-home")
        os.environ["PREFECT_API_URL"] = url
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect-home"))
    os.environ["PREFECT_TASKS_REFRESH_CACHE"] = "true"  # refit every fold: measure the real work
    sys.path.insert(0, str(ROOT))
    try:
        from gapgates.demo import DEMO_POLICY_PATH, write_demo_data

        data = write_demo_data(tmp)
        options = {"data": str(data), "target": "target", "model": "gapgates.demo.scaled_logistic_regression",
                   "policy": str(DEMO_POLICY_PATH), "name": "bench-logreg"}
        from flows.retrain import retrain_and_gate
        from gapgates.config import make_config
        from gapgates.runner import run_check

        config = make_config(options)
        run_check(config)
        retrain_and_gate(options=options, return_state=True)  # warm-up
        check_s = _median(lambda: run_check(config), args.repeat)
        flow_s = _median(lambda: retrain_and_gate(options=options, return_state=True), args.repeat)

        cli = [sys.executable, "-m", "gapgates"]
        flags = [f"--{k}={v}" for k, v in options.items()]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        check_cli = _median(lambda: subprocess.run([*cli, "check", *flags], env=env, capture_output=True), 3)
        run_cli = _median(lambda: subprocess.run([*cli, "run", *flags], env=env, capture_output=True), 3)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    print(f"server: {os.environ['PREFECT_API_URL']}  (median of {args.repeat} in process, 3 end to end)")
    print(f"in process   run_check {check_s:6.2f} s   flow {flow_s:6.2f} s   overhead {flow_s - check_s:6.2f} s")
    print(f"end to end   check     {check_cli:6.2f} s   run  {run_cli:6.2f} s   overhead {run_cli - check_cli:6.2f} s")
    print(f"target: overhead <= 3 s -> in process {'OK' if flow_s - check_s <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
