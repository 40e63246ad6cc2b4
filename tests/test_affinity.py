"""The grading process and the worker of its checks share one CPU (worker/affinity.py); with
MICROGRADE_PIN_CPU=0, and in a batch, where gradings run side by side, the system places them.

The submission below says where it runs: its Value's repr prints the CPUs its worker may
use, and the check that shows a Value keeps what it printed in the report."""
import json
import os
import subprocess
import sys

import pytest

from corpus import REFERENCE, forget_the_platform, grade, patched_reference
from micrograde.cli import main
from micrograde.spec import GRADERS
from micrograde.worker import affinity, facilities

ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
pytestmark = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs a process that may run on two CPUs or more (Linux)")

SAYS_WHERE_IT_RUNS = ("engine", "    def __repr__(self):\n",
                      "    def __repr__(self):\n        import os; print('cpus', sorted(os.sched_getaffinity(0)))\n")


def _cpus_of_the_worker(report) -> list:
    [check] = [t for t in report["tests"] if t["name"] == "test_repr_shows_data_and_grad"]
    assert check["status"] == "passed"
    seen = {line for line in check["output"].splitlines() if line.startswith("cpus ")}
    assert len(seen) == 1, seen
    return json.loads(seen.pop().split(" ", 1)[1])


def test_the_worker_of_a_gradings_checks_runs_on_one_cpu(tmp_path, monkeypatch):
    monkeypatch.delenv(affinity.ENV, raising=False)
    submission = patched_reference(tmp_path / "sub", [SAYS_WHERE_IT_RUNS])
    cpus = _cpus_of_the_worker(grade(submission, tmp_path / "r.json", milestones=["m1"]))
    assert len(cpus) == 1 and cpus[0] in ALLOWED


def test_with_pinning_off_the_worker_runs_where_the_system_places_it(tmp_path, monkeypatch):
    monkeypatch.setenv(affinity.ENV, "0")
    submission = patched_reference(tmp_path / "sub", [SAYS_WHERE_IT_RUNS])
    assert _cpus_of_the_worker(grade(submission, tmp_path / "r.json", milestones=["m1"])) == ALLOWED


def test_on_the_portable_path_the_system_places_the_worker(tmp_path, monkeypatch):
    monkeypatch.delenv(affinity.ENV, raising=False)
    monkeypatch.setenv(facilities.ENV, facilities.PORTABLE)
    forget_the_platform()
    submission = patched_reference(tmp_path / "sub", [SAYS_WHERE_IT_RUNS])
    try:
        assert _cpus_of_the_worker(grade(submission, tmp_path / "r.json", milestones=["m1"])) == ALLOWED
    finally:
        monkeypatch.delenv(facilities.ENV)
        forget_the_platform()


def test_a_batch_leaves_its_gradings_placement_to_the_system(tmp_path, monkeypatch):
    monkeypatch.delenv(affinity.ENV, raising=False)
    patched_reference(tmp_path / "class" / "alice", [SAYS_WHERE_IT_RUNS])
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "class"), "--out", str(out), "--jobs", "1", "--milestone", "m1"]) == 0
    report = json.loads((out / "reports" / "alice.json").read_text())
    assert _cpus_of_the_worker(report) == ALLOWED


def test_a_restarted_worker_is_put_on_the_cpu_it_shared(tmp_path):
    # In a process of its own: settling pins the process that asks, and that is not this test run.
    script = f"""
import json, os, sys
sys.path.insert(0, {str(GRADERS)!r})
from micrograde.worker import Sandbox, affinity
with Sandbox({str(REFERENCE)!r}, plotting=False) as sandbox:
    sandbox._start()
    cpu = affinity.settle()
    sandbox.share_cpu(cpu)
    shared = [sorted(os.sched_getaffinity(p)) for p in sandbox._members(sandbox.proc.pid)]
    sandbox._kill()
    sandbox._start()
    restarted = [sorted(os.sched_getaffinity(p)) for p in sandbox._members(sandbox.proc.pid)]
print(json.dumps([cpu, sorted(os.sched_getaffinity(0)), shared, restarted]))
"""
    env = {k: v for k, v in os.environ.items() if k != affinity.ENV}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    cpu, grader, shared, restarted = json.loads(done.stdout.splitlines()[-1])
    assert grader == [cpu]
    assert shared and all(cpus == [cpu] for cpus in shared)
    assert restarted and all(cpus == [cpu] for cpus in restarted)
