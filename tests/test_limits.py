"""One limit per submission: a worker and all its processes share its memory, process and
CPU limits, held by a cgroup the kit creates or by the grader's watchdog, and a worker past
them is killed as a unit. The grading process has a ceiling of its own, and an answer
larger than any probe needs is refused before it is decoded."""
import os
import resource
import subprocess
import sys
import tracemalloc

import pytest

from corpus import REFERENCE, patched_reference
from hostile import HUGE_ANSWER, MEMORY_IN_MANY_PROCESSES, at_function_start
from micrograde.errors import WorkerCrashed
from micrograde.probes.names import ENGINE_CONSTRUCT, ENGINE_REPR, NN_ZERO_GRAD
from micrograde.worker import Sandbox, cgroup, client, isolation, sweep
from micrograde.worker.limits import Limits

LIMITS = Limits(memory_mb=512, probe_timeout_s=8, run_timeout_s=60)
MECHANISMS = ["cgroup", "watchdog"]


@pytest.fixture(params=MECHANISMS)
def mechanism(request, monkeypatch):
    """Each test runs with the worker in a cgroup of its own, and again with none (the
    watchdog alone), as in a container that lets the kit create no cgroup."""
    if request.param == "cgroup":
        if cgroup.available() is None:
            pytest.skip("this machine lets the kit create no cgroup")
    else:
        monkeypatch.setattr(cgroup, "create", lambda limits: None)
    return request.param


def _group_folders():
    parents = cgroup.available()
    if parents is None:
        return set()
    return {os.path.join(p, name) for p in parents.folders.values() for name in os.listdir(p)
            if name.startswith(cgroup.PREFIX + f"{os.getpid()}-")}


def test_memory_of_many_processes_is_one_limit_and_the_worker_dies_as_a_unit(tmp_path, mechanism):
    submission = patched_reference(tmp_path / "s", [at_function_start("nn", "def zero_grad(self):",
                                                                      MEMORY_IN_MANY_PROCESSES)])
    with Sandbox(submission, LIMITS) as sandbox:
        assert sandbox.enforcement["mechanism"] == ("cgroup-v1" if mechanism == "cgroup" and
                                                    cgroup.available().version == 1 else
                                                    "cgroup-v2" if mechanism == "cgroup" else "watchdog")
        with pytest.raises(WorkerCrashed, match="memory limit of 512 MB \\(all its processes together\\)"):
            sandbox.call(NN_ZERO_GRAD, "zero_grad", nin=2, nouts=[2, 1], seed=1)
        uid = sandbox.uid
        # the next probe gets a fresh worker: the kill cost only the check that ran it
        answer = sandbox.call(ENGINE_CONSTRUCT, "Value(2.0)", data=2.0)
        assert (answer["data"], answer["grad"]) == (2.0, 0.0)
    if uid is not None:
        from micrograde.worker import processes
        assert list(processes.processes_of_uid(uid)) == []
    assert _group_folders() == set()  # every cgroup the kit made is gone


def test_cpu_time_of_all_processes_together_is_one_limit(tmp_path, mechanism):
    spin = """
import os as _os, time as _time
for _ in range(3):
    if _os.fork() == 0:
        _end = _time.monotonic() + 30
        while _time.monotonic() < _end:
            pass
        _os._exit(0)
_time.sleep(20)
"""
    submission = patched_reference(tmp_path / "s", [at_function_start("nn", "def zero_grad(self):", spin)])
    limits = Limits(cpu_seconds=2, probe_timeout_s=25, run_timeout_s=60)
    with Sandbox(submission, limits) as sandbox:
        with pytest.raises(WorkerCrashed, match="CPU time limit of 2 s \\(all its processes together\\)"):
            sandbox.call(NN_ZERO_GRAD, "zero_grad", nin=2, nouts=[2, 1], seed=1)


def test_an_answer_larger_than_any_probe_needs_is_refused_before_it_is_decoded(tmp_path):
    submission = patched_reference(tmp_path / "s", [at_function_start("engine", "def __repr__(self):", HUGE_ANSWER)])
    with Sandbox(submission, LIMITS) as sandbox:
        sandbox.call(ENGINE_CONSTRUCT, "Value(1.0)", data=1.0)  # started, before we measure
        tracemalloc.start()
        try:
            with pytest.raises(WorkerCrashed, match="more than the .* bytes any answer"):
                sandbox.call(ENGINE_REPR, "repr(Value(1.5))", data=1.5, grad=0.0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 4 * 2**20, f"the grader held {peak / 2**20:.0f} MB for one answer"


def test_the_grading_process_has_a_memory_ceiling_of_its_own():
    code = ("import resource; from micrograde.grading import limit_the_grader; from micrograde.worker.limits import Limits;"
            "limit_the_grader(Limits(memory_mb=1024)); print(resource.getrlimit(resource.RLIMIT_AS)[0])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ceiling = int(done.stdout)
    assert 1024 * 2**20 < ceiling != resource.RLIM_INFINITY
    assert ceiling <= 8 * 2**30


def test_the_report_says_how_limits_were_held_and_lists_what_was_not():
    full = isolation.Available(minimal_root=True, fresh_uid=True)
    degraded = isolation.Available(minimal_root=False, fresh_uid=True, degraded="x")
    unprivileged = isolation.Available(minimal_root=False, fresh_uid=False)
    assert client.enforcement(full, group_made=False) == {"mechanism": "watchdog", "not_enforced": []}
    # degraded: the watchdog counts every file of the worker's own uid against disk_mb
    assert client.enforcement(degraded, group_made=False)["not_enforced"] == []
    # sharing our uid, the worker's files elsewhere cannot be told from ours
    held = client.enforcement(unprivileged, group_made=False)
    assert held["not_enforced"] == ["disk_mb"]
    assert "disk_mb" in client.not_enforced_note(held)
    assert client.not_enforced_note(client.enforcement(full, group_made=False)) == ""


def test_a_reference_run_holds_every_limit_and_cleans_up(mechanism):
    with Sandbox(REFERENCE, Limits()) as sandbox:
        answer = sandbox.call(ENGINE_CONSTRUCT, "Value(1.0)", data=1.0)
        assert (answer["data"], answer["grad"]) == (1.0, 0.0)
        assert sandbox.watchdog.over() == ""  # honest code is far from every limit
        uid = sandbox.uid
    assert _group_folders() == set()
    if uid is not None:
        assert sweep.owned_bytes(uid) == 0
