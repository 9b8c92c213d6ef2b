"""The flow's overhead over ``gapgates check``, against a running local Prefect server.

    python benchmarks/bench_flow.py [--repeat 5]

Starts ``prefect server start`` on 127.0.0.1 with a temporary PREFECT_HOME (or uses
PREFECT_API_URL when set), then times the same gate (breast-cancer data, scaled logistic
regression, demo policy, 5 folds) in one process:

- ``run_gate(config)`` (what ``gapgates check`` runs) against the ``retrain-and-gate`` flow
  (what ``gapgates run`` runs), cache refreshed so every fold is refit: the first flow run of
  the process (new client, flow registered) and the median of warm runs. The server is warmed up
  first by a small flow run from another process, as a long-running server would be;
- Prefect's own floor: importing Prefect and ``flows``, and an empty flow calling as many
  no-op tasks as the gate flow runs (the part of the overhead no gapgates code can remove);
- for reference, end to end from the shell: ``gapgates check`` against ``gapgates run``
  (each a fresh interpreter: imports, client start and exit included).

Target: flow overhead <= 3 s (in one process, as every benchmark here is measured).
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


WARM_UP = """
from prefect import flow, task

@task
def step(i):
    return i

@flow(name="gapgates-bench-warm-up")
def warm_up():
    for i in range(3):
        step(i)

warm_up()
"""


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    """Start a local Prefect server; return it and its API URL once healthy."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            time.sleep(1)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        raise SystemExit("prefect server did not start")
    # A long-running server has served requests before: warm this one up the same way, in another
    # process, so its first-request costs (about 1 s here) are not charged to the flow.
    subprocess.run([sys.executable, "-c", WARM_UP], env={**env, "PREFECT_API_URL": url}, check=True, capture_output=True)
    return proc, url


def _medians(fns, repeat: int) -> list[float]:
    """Median seconds of each function, calling them in turn ``repeat`` times."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


def _median(fn, repeat: int) -> float:
    return _medians([fn], repeat)[0]


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _task_runs(state) -> int:
    """How many task runs a finished flow run made (read back from the server)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    return len(runs)


def empty_flow(n_tasks: int):
    """A flow calling ``n_tasks`` no-op tasks: Prefect's own cost of a run with that many tasks."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    @task(name="no-op", cache_policy=NO_CACHE)
    def no_op(i: int) -> int:
        return i

    @flow(name="gapgates-bench-empty")
    def empty() -> None:
        for i in range(n_tasks):
            no_op(i)

    return empty


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
        from gapgates.config import make_config
        from gapgates.demo import DEMO_POLICY_PATH, write_demo_data
        from gapgates.gate import run_gate

        data = write_demo_data(tmp)
        options = {
            "data": str(data),
            "target": "target",
            "model": "gapgates.demo.scaled_logistic_regression",
            "policy": str(DEMO_POLICY_PATH),
            "name": "bench-logreg",
        }
        config = make_config(options)
        run_gate(config)  # warm-up: imports scikit-learn and Great Expectations

        import_s, _ = _timed(lambda: __import__("gapgates.flows.retrain"))
        from gapgates.flows.retrain import retrain_and_gate

        first_s, state = _timed(lambda: retrain_and_gate(options=options, return_state=True))
        if not state.is_completed():
            raise SystemExit(f"the flow did not complete: {state.message}")
        n_tasks = _task_runs(state)
        empty = empty_flow(n_tasks)
        empty()  # warm-up: registers the flow
        # Interleaved, so the three see the same machine (the server digests events in the background).
        check_s, flow_s, floor_s = _medians(
            [lambda: run_gate(config), lambda: retrain_and_gate(options=options, return_state=True), empty],
            args.repeat,
        )

        cli = [sys.executable, "-m", "gapgates"]
        flags = [f"--{k}={v}" for k, v in options.items()]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        check_cli = _median(lambda: subprocess.run([*cli, "check", *flags], env=env, capture_output=True), 3)
        run_cli = _median(lambda: subprocess.run([*cli, "run", *flags], env=env, capture_output=True), 3)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    warm, first = flow_s - check_s, first_s - check_s
    print(f"server: {os.environ['PREFECT_API_URL']}   breast cancer 569 x 30, logistic regression, 5 folds")
    print(f"in one process (median of {args.repeat}):")
    print(f"  run_gate (gapgates check)       {check_s:6.2f} s")
    print(f"  flow (gapgates run), warm       {flow_s:6.2f} s   overhead {warm:5.2f} s   ratio {flow_s / check_s:4.2f}")
    print(f"  flow, first run of the process  {first_s:6.2f} s   overhead {first:5.2f} s")
    print("Prefect's own floor (no gapgates code):")
    print(f"  import prefect + flows          {import_s:6.2f} s   (once per process)")
    print(
        f"  empty flow, {n_tasks} no-op tasks      {floor_s:6.2f} s   (per run; gapgates' share of the warm"
        f" overhead: {warm - floor_s:.2f} s)"
    )
    print(
        f"end to end from the shell (median of 3, fresh interpreters): check {check_cli:.2f} s, run {run_cli:.2f} s,"
        f" overhead {run_cli - check_cli:.2f} s"
    )
    verdict = "OK" if max(warm, first) <= 3 else "MISSED"
    print(f"target: overhead <= 3 s in one process -> {verdict} (warm {warm:.2f} s, first run {first:.2f} s)")


if __name__ == "__main__":
    main()
