"""Code run with ``python -c`` by the registry crash and concurrency tests.

One interpreter imports scikit-learn and skops once, then forks the processes
that promote, so 50 kill trials take seconds, not minutes.
"""

CRASH = r'''
import io, json, os, random, signal, sys, time
from contextlib import redirect_stdout
from sklearn.dummy import DummyClassifier
from gapgates.cli.main import cli
from gapgates.registry import LocalRegistry

root, trials, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = DummyClassifier().fit([[0], [1]], [0, 1])
rng = random.Random(seed)

def promote_once():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        reg = LocalRegistry(root)
        version = reg.register(model, name="tiny", metadata={"decision": "promote"})
        os.write(w, version.encode())
        reg.promote(version, actor=f"pid{os.getpid()}")
        os._exit(0)
    os.close(w)
    return pid, r

def finish(pid, r):
    os.waitpid(pid, 0)
    new = os.read(r, 64).decode() or None
    os.close(r)
    return new

def show():
    buf = io.StringIO()
    with redirect_stdout(buf):
        cli.main(["registry", "show", "--registry", root, "--json"], standalone_mode=False)
    return json.loads(buf.getvalue())

seed_reg = LocalRegistry(root)
seed_reg.promote(seed_reg.register(model, name="tiny", metadata={"decision": "promote"}))
durations = []
for _ in range(3):
    start = time.perf_counter(); pid, r = promote_once(); finish(pid, r); durations.append(time.perf_counter() - start)
span = 1.3 * max(durations)
print(json.dumps({"calibration": durations}), flush=True)
for trial in range(trials):
    old = LocalRegistry(root).production
    delay = rng.uniform(0, span)
    pid, r = promote_once()
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    new = finish(pid, r)
    reg = LocalRegistry(root)
    shown = show()
    prod = reg.production
    loaded = type(reg.load()).__name__
    print(json.dumps({"trial": trial, "delay": delay, "old": old, "new": new, "production": prod,
                      "shown": shown["production"], "loaded": loaded, "problems": reg.verify()}), flush=True)
'''

CONCURRENT = r'''
import json, os, sys
from sklearn.dummy import DummyClassifier
from gapgates.registry import LocalRegistry

import filelock, skops.io  # imported once here, not in each child

root, n = sys.argv[1], int(sys.argv[2])
model = DummyClassifier().fit([[0], [1]], [0, 1])
gate_r, gate_w = os.pipe()
out_r, out_w = os.pipe()
pids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(gate_w)
        reg = LocalRegistry(root)
        version = reg.register(model, name="tiny", metadata={"decision": "promote", "policy_hash": f"p{i}"})
        os.write(out_w, (version + "\n").encode())
        os.read(gate_r, 1)  # every child waits here until the gate opens
        reg.promote(version, actor=f"child{i}")
        os._exit(0)
    pids.append(pid)
os.close(out_w)
versions = []
with os.fdopen(out_r) as fh:
    while len(versions) < n:
        versions.append(fh.readline().strip())
os.close(gate_w)  # EOF: all children promote at once
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
print(json.dumps({"versions": versions, "codes": codes}))
'''
