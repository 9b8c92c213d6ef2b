"""A container's CPU quota (Docker's ``--cpus``, a Kubernetes CPU limit) caps the cores a run sizes its pools to.

Proven in a real one: a child cgroup with a CPU quota of one core, entered by a process in its own cgroup and mount
namespaces (what a container runtime does), where the cgroup file system mounted at ``/sys/fs/cgroup/cpu`` shows the
quota as the container's own. The process's affinity still lists every core of this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from gapgates.config import usable_cores

CPU_CGROUP = Path("/sys/fs/cgroup/cpu")

PROBE = textwrap.dedent(
    """
    import os
    import sklearn.ensemble  # scikit-learn's OpenMP runtime, the pool a forest or boosting fit uses
    from gapgates.compute.crossval import thread_limits
    from gapgates.config import usable_cores
    from tests.helpers import openmp_threads

    os.environ.pop("GAPGATES_THREADS", None)
    with thread_limits(None):
        threads = sorted(openmp_threads())
    print(len(os.sched_getaffinity(0)), usable_cores(), ",".join(map(str, threads)))
    """
)


def _can_make_quota() -> str | None:
    """Why this machine cannot run the test (None: it can)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "needs Linux and root to create a cgroup"
    if not (CPU_CGROUP / "cpu.cfs_quota_us").is_file():
        return "needs cgroup v1's cpu controller at /sys/fs/cgroup/cpu"
    if shutil.which("unshare") is None:
        return "needs util-linux's unshare"
    if usable_cores() < 2:
        return "one usable core: a quota of one changes nothing"
    return None


@pytest.fixture
def one_cpu_quota() -> Iterator[Path]:
    """A child cpu cgroup allowed one CPU's time per period, removed afterwards."""
    group = CPU_CGROUP / f"gapgates-test-{os.getpid()}"
    group.mkdir()
    try:
        period = int((group / "cpu.cfs_period_us").read_text())
        (group / "cpu.cfs_quota_us").write_text(str(period))
        yield group
    finally:
        group.rmdir()  # its process has exited: an empty cgroup can be removed


@pytest.mark.skipif(_can_make_quota() is not None, reason=str(_can_make_quota()))
def test_a_one_cpu_quota_sizes_the_runs_pools_to_one_core(one_cpu_quota: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    # enter the cgroup, then new cgroup and mount namespaces: the cgroup becomes the root of the view, and the cpu
    # hierarchy mounted again at its usual place shows its quota as a container's own
    script = (
        f"echo $$ > {one_cpu_quota}/cgroup.procs && exec unshare --cgroup --mount sh -c "
        f'\'umount -l {CPU_CGROUP} && mount -t cgroup -o cpu cgroup {CPU_CGROUP} && exec "$0" -c "$1"\' "$0" "$1"'
    )
    done = subprocess.run(
        ["sh", "-c", script, sys.executable, PROBE], cwd=repo, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    affinity, usable, threads = done.stdout.split()
    assert int(affinity) == usable_cores() >= 2  # the quota narrows no affinity
    assert (usable, threads) == ("1", "1")
