"""Template workers (worker/forkserver.py): a batch's workers are forks of a prepared template,
and a forked worker is the same as a spawned one in everything a grading can see: its
answers and reports, how it ends and what that is called, its isolation and limits, and
what is left of it afterwards. Nothing of one submission reaches the next."""
import array
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import corpus
from hostile import WORKER_MARKER, at_function_start
from micrograde.batch import template
from micrograde.batch.runner import run_batch
from micrograde.errors import ProbeTimeout, WorkerCrashed
from micrograde.probes.names import ENGINE_CONSTRUCT
from micrograde.submission import check_folder
from micrograde.worker import Sandbox, cgroup, client, forkserver, isolation, processes
from micrograde.worker.limits import Limits

pytestmark = [pytest.mark.skipif(not (template.available() and forkserver.available()),
                                 reason="template workers need Linux with fork, prctl and /proc"),
              pytest.mark.xdist_group("template_workers")]

LIMITS = Limits(memory_mb=768, probe_timeout_s=6, run_timeout_s=120)
# Value(data) of the patched reference below does, by its data: 13 aborts, 14 overflows the C
# stack (a segmentation fault), 15 hangs.
MISBEHAVES = at_function_start("engine", "def __init__(self, data, _children=(), _op=\"\", label=\"\"):", """
import os as _os
if data == 13.0:
    _os.abort()
if data == 14.0:
    import sys as _sys
    _sys.setrecursionlimit(10 ** 8)
    _nested = []
    for _ in range(300_000):
        _nested = [_nested]
    repr(_nested)
if data == 15.0:
    while True:
        pass
""")
# A submission that leaves state wherever a worker can: files in its scratch and home, the
# modules and builtins of the worker's heap, a child process that outlives the probe.
LEAVES_STATE = '''
import builtins, math, os, sys
builtins.LEFT_BY_A_SUBMISSION = True
math.tanh = lambda x: 0.5
sys.modules["micrograd_left"] = sys
os.environ["LEFT_BY_A_SUBMISSION"] = "1"
with open(os.path.join(os.getcwd(), "left.txt"), "w") as f:
    f.write("left")
try:
    import subprocess
    LEFT_CHILD = subprocess.Popen(["sleep", "600"], start_new_session=True)
except Exception:
    pass
HEAP = [bytearray(1 << 20) for _ in range(32)]
'''


def _tagged(submission) -> list:
    """(pid, ppid, cmdline) of every live process carrying this submission's worker tag."""
    tag = client.worker_tag(check_folder(submission)).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            stat = processes._stat(int(name))
            state = Path(f"/proc/{name}/status").read_text().split("State:")[1].split()[0]
        except (OSError, IndexError):
            continue
        if stat and state != "Z" and tag in cmdline and WORKER_MARKER.encode() in cmdline:
            found.append((int(name), stat[0], cmdline))
    return found


@pytest.fixture
def templates(monkeypatch):
    """Both template workers, reachable from this process as from a batch's grading."""
    started = {kind: forkserver.Template(kind, client.worker_environment("/")) for kind in forkserver.KINDS}
    monkeypatch.setenv(forkserver.ENV, ",".join(f"{k}:{t.client.fileno()}" for k, t in started.items()))
    monkeypatch.setattr(forkserver, "_CONTROL", {})
    yield started
    for sock in forkserver._CONTROL.values():
        if sock is not None:
            sock.close()
    for t in started.values():
        t.close()
        assert t.proc.returncode == 0  # it ended at its control socket's end, not by our kill


def _misbehaving(tmp_path):
    return corpus.patched_reference(tmp_path / "misbehaves", [MISBEHAVES])


def _crash_words(submission, data) -> str:
    # Time for the C stack to run out on a loaded machine: the crash, not the deadline, must end it.
    with Sandbox(submission, Limits(memory_mb=768, probe_timeout_s=30, run_timeout_s=120), plotting=False) as sandbox:
        with pytest.raises(WorkerCrashed) as raised:
            sandbox.call(ENGINE_CONSTRUCT, f"Value({data})", data=data)
        kind = type(sandbox.proc).__name__ if sandbox.proc is not None else None
        return str(raised.value), kind


def test_a_forked_worker_answers_and_is_isolated_as_a_spawned_one(tmp_path, templates):
    views = {}
    for forked in (False, True):
        env = None if forked else os.environ.pop(forkserver.ENV)
        try:
            with Sandbox(corpus.REFERENCE, LIMITS, plotting=True) as sandbox:
                answer = sandbox.call(ENGINE_CONSTRUCT, "Value(2.0)", data=2.0)
                assert (answer["data"], answer["grad"]) == (2.0, 0.0)
                assert isinstance(sandbox.proc, forkserver.Forked) == forked
                leader = sandbox.proc.pid
                if forked:
                    assert processes._stat(leader)[0] == templates["plotting"].proc.pid
                # the process that runs probes: the leader itself, or its child in a PID namespace
                inner = [p for p in processes.processes_of_uid(sandbox.uid) if p != leader] \
                    if sandbox.uid is not None else []
                inner = inner or [leader]
                assert len(inner) == 1
                pid = inner[0]
                status = Path(f"/proc/{pid}/status").read_text()
                views[forked] = {
                    "uid": (sandbox.worker_uid == sandbox.uid, sandbox.uid is None or sandbox.uid >= client.FRESH_UIDS),
                    "namespaces": {ns: os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/self/ns/{ns}")
                                   for ns in ("mnt", "pid", "net", "ipc")},
                    "limits": [line for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                               if line.startswith(("Max address space", "Max cpu time", "Max open files",
                                                   "Max file size", "Max processes", "Max core"))],
                    "cgroup": sandbox.group is None or pid in sandbox.group.pids(),
                    "session leader": os.getsid(leader) == leader,
                    "descriptors": sorted(os.readlink(f"/proc/{pid}/fd/{fd}").split(":")[0]
                                          for fd in os.listdir(f"/proc/{pid}/fd")),
                    "tag": client.worker_tag(check_folder(corpus.REFERENCE)).encode()
                    in Path(f"/proc/{pid}/cmdline").read_bytes(),
                    "vmsize_mb": int(status.split("VmSize:")[1].split()[0]) // 1024,
                }
                closing = time.monotonic()
            views[forked]["closed within 2 s"] = time.monotonic() - closing < 2
        finally:
            if env is not None:
                os.environ[forkserver.ENV] = env
    spawned, forked = views[False], views[True]
    # Address space: the same libraries mapped, so RLIMIT_AS leaves the same headroom.
    assert abs(spawned.pop("vmsize_mb") - forked.pop("vmsize_mb")) < 64, views
    assert spawned == forked
    assert "socket" not in forked["descriptors"]  # no way back to the template
    if isolation.available().minimal_root:
        assert not any(forked["namespaces"].values())


@pytest.mark.parametrize("data,words", [(13.0, "died of SIG"), (14.0, "SIGSEGV")])
def test_a_crash_reads_the_same_from_a_forked_worker(tmp_path, templates, data, words):
    submission = _misbehaving(tmp_path)
    forked, _ = _crash_words(submission, data)
    spawned_env = os.environ.pop(forkserver.ENV)
    try:
        spawned, _ = _crash_words(submission, data)
    finally:
        os.environ[forkserver.ENV] = spawned_env
    assert forked == spawned and words in forked
    assert _tagged(submission) == []


def test_a_hanging_forked_worker_is_killed_at_its_timeout(tmp_path, templates):
    submission = _misbehaving(tmp_path)
    with Sandbox(submission, LIMITS, plotting=False) as sandbox:
        sandbox._start()
        assert isinstance(sandbox.proc, forkserver.Forked)
        worker = sandbox.proc
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match=f"did not return within {LIMITS.probe_timeout_s:g} s"):
            sandbox.call(ENGINE_CONSTRUCT, "Value(15.0)", data=15.0)
        # killed and gone within moments (its zombies reaped at once, so the kill loop ends)
        assert time.monotonic() - started < LIMITS.probe_timeout_s + 2.5
        assert worker.returncode == -signal.SIGKILL  # as the template reaped it
        assert _tagged(submission) == []
        answer = sandbox.call(ENGINE_CONSTRUCT, "Value(2.0)", data=2.0)  # a fresh fork serves the next
        assert answer["data"] == 2.0 and sandbox.proc is not worker


GRADING = """
import os, sys, time
from micrograde.worker import Sandbox
from micrograde.worker.limits import Limits
from micrograde.probes.names import ENGINE_CONSTRUCT
sandbox = Sandbox(sys.argv[1], Limits(probe_timeout_s=600, run_timeout_s=600), plotting=False)
sandbox._start()
print(type(sandbox.proc).__name__, sandbox.proc.pid, flush=True)
sandbox.call(ENGINE_CONSTRUCT, "Value(15.0)", data=15.0)
"""


def test_killing_the_grading_leaves_no_worker_behind(tmp_path, templates):
    """A grading killed in the middle of a probe (its worker busy, not reading its pipe): the
    template sees the grading's end of the status pipe close, and kills the worker."""
    submission = _misbehaving(tmp_path)
    fds = [t.client.fileno() for t in templates.values()]
    grading = subprocess.Popen([sys.executable, "-c", GRADING, str(submission)], stdout=subprocess.PIPE,
                               pass_fds=fds, env={**os.environ, "PYTHONPATH": str(corpus.KIT_ROOT / "graders")})
    try:
        kind, pid = grading.stdout.readline().split()
        assert kind == b"Forked"
        time.sleep(1)  # the probe hangs now
        assert _tagged(submission)
    finally:
        grading.kill()
        grading.wait()
    deadline = time.monotonic() + 10
    while _tagged(submission) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged(submission) == []


def _request(control: socket.socket, tag: str):
    """Ask for a worker as a grading does; the status pipe's first line (b"" if refused)."""
    pipes = [os.pipe() for _ in range(forkserver.PIPES)]
    theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
    control.sendmsg([json.dumps({"env": client.worker_environment("/"), "cwd": "/", "tag": tag}).encode()],
                    [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", theirs))])
    for fd in theirs:
        os.close(fd)
    with os.fdopen(pipes[3][0], "rb", buffering=0) as status:
        line = forkserver._read_line(status, time.monotonic() + 20)
    for fd in (pipes[0][1], pipes[1][0], pipes[2][0]):
        os.close(fd)  # a worker forked for this ends at its stdin's end
    return line


@pytest.mark.skipif(not isolation.is_root(), reason="workers run as a uid of their own only as root")
def test_the_template_forks_nothing_for_another_uid(templates):
    """Even a worker that held the template's socket could not ask it for a worker, an
    unisolated one least: it runs as a fresh uid, and the template serves its own only."""
    control = templates["plain"].client
    tag = "micrograde-worker-" + "0123456789abcdef"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read)
            os.setgroups([])
            os.setresgid(1_234_567, 1_234_567, 1_234_567)
            os.setresuid(1_234_567, 1_234_567, 1_234_567)
            os.write(write, repr(_request(control, tag)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        refused = answer.read()
    os.waitpid(child, 0)
    assert refused == "b''"
    # The same request from our own uid is served: the refusal above was the uid's.
    assert _request(control, tag).startswith(b"pid ")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """One class graded with template workers, and again without; gradings in one job slot,
    the submission that leaves state first. Who forked each worker, sampled while they ran."""
    root = tmp_path_factory.mktemp("class")
    src = root / "src"
    corpus.patched_reference(src / "a_leaves_state", files={"micrograd/left_state.py": LEAVES_STATE},
                             patches=[("engine", "import math\n", "import math\nfrom . import left_state\n")])
    import shutil
    shutil.copytree(corpus.REFERENCE, src / "b_reference")
    shutil.copytree(corpus.TEMPLATE, src / "c_template")
    corpus.patched_reference(src / "d_tanh_bug", [("engine", "(1.0 - t * t)", "(1.0 - t)")])
    subs = {p.name: p for p in sorted(src.iterdir())}
    outcomes = {}
    for forked in (True, False):
        seen, stop = {}, []

        def sample():
            while not stop:
                for name, path in subs.items():
                    for pid, ppid, cmdline in _tagged(path):
                        seen.setdefault(name, set()).add(b"template(" in cmdline)
                time.sleep(0.05)

        import threading
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = root / ("forked" if forked else "spawned")
        try:
            result = run_batch(src, out, jobs=1, progress=False, log=lambda msg: None, template_workers=forked)
        finally:
            stop.append(True)
            sampler.join()
        reports = {name: json.loads((out / "reports" / f"{name}.json").read_text()) for name in subs}
        outcomes[forked] = (result, (out / "grades.csv").read_text(), reports, seen,
                            {name: _tagged(path) for name, path in subs.items()})
    return outcomes


def test_a_batch_with_template_workers_grades_as_one_without(graded_class):
    (_, book_f, reports_f, seen_f, left_f), (_, book_s, reports_s, seen_s, left_s) = \
        graded_class[True], graded_class[False]
    assert seen_f and all(kinds == {True} for kinds in seen_f.values()), seen_f  # every worker a fork
    assert seen_s and all(kinds == {False} for kinds in seen_s.values()), seen_s  # every worker spawned
    assert book_f == book_s
    for name in reports_f:
        assert corpus.check_results(reports_f[name]) == corpus.check_results(reports_s[name]), name
    assert reports_f["b_reference"]["score"] == reports_f["b_reference"]["max_score"]
    # the engine that leaves state was imported (its state left) and graded: tanh is wrong only
    assert 0 < reports_f["a_leaves_state"]["score"] < reports_f["a_leaves_state"]["max_score"]
    assert reports_f["c_template"]["score"] == 0
    assert 0 < reports_f["d_tanh_bug"]["score"] < reports_f["d_tanh_bug"]["max_score"]
    assert all(not left for left in (*left_f.values(), *left_s.values()))


def test_what_a_submission_leaves_does_not_reach_the_next(graded_class):
    """The reference, graded in the same slot right after a submission that left files,
    patched modules, a heap and a child process, is graded as a fresh grading grades it."""
    _, _, reports, _, _ = graded_class[True]
    fresh = corpus.grade(corpus.REFERENCE, Path(tempfile.mkdtemp()) / "fresh.json")
    assert corpus.check_results(reports["b_reference"]) == corpus.check_results(fresh)


# Hostile cases whose ends are about processes: how a worker dies, what it leaves running,
# what it reaches. Each is graded through a batch's templates (its workers forked) and as
# `micrograde grade` grades it (spawned): the same report, check for check, nothing left.
HOSTILE = ("os_exit_in_method", "loop_ignoring_signals", "unbounded_recursion", "memory_bomb", "fork_burst",
           "outlives_grading_rewrites_report", "attacks_the_grader", "leaves_shared_memory_behind",
           "memory_in_many_processes", "answers_through_the_protocol_descriptor", "takes_over_the_request_loop")


def _reaped_cpu(slot) -> int:
    """CPU clock ticks of the children the slot's template workers have reaped."""
    total = 0
    for t in slot.worker_templates:
        stat = Path(f"/proc/{t.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total


@pytest.fixture(scope="module")
def batch_slot():
    slot = template.Template()
    yield slot
    slot.close()


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_submission_grades_the_same_with_forked_workers(name, tmp_path, batch_slot):
    from hostile import FAST_LIMITS, cases
    from micrograde.batch import child
    from micrograde.batch.runner import Job
    from micrograde.spec import DEFAULT_SEED

    case = next(c for c in cases(str(corpus.KIT_ROOT)) if c.name == name)
    drop = Path(tempfile.mkdtemp(prefix="drop-", dir="/run" if isolation.is_root() else None))
    os.chmod(drop, 0o777)
    limits = {**FAST_LIMITS, **case.limits}
    reports = {}
    for forked in (True, False):
        report_path = tmp_path / f"{forked}.json"
        patches = [(module, old, new.replace("__DROP__", str(drop)).replace("__REPORT__", str(report_path)))
                   for module, old, new in case.patches]
        submission = corpus.patched_reference(tmp_path / f"submission-{forked}", patches, case.files)
        if forked:
            job = Job(seed=DEFAULT_SEED, milestones=[case.milestone], limits=Limits.from_dict(limits))
            before = _reaped_cpu(batch_slot)
            code = child.grade_in_child(submission, report_path, tmp_path / "log", job, batch_slot)
            assert code in (0, 1), (tmp_path / "log").read_text()[-2000:]
            assert batch_slot.worker_templates and all(t.proc.poll() is None for t in batch_slot.worker_templates)
            deadline = time.monotonic() + 10  # reaped a moment after the grading killed them
            while _reaped_cpu(batch_slot) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _reaped_cpu(batch_slot) > before  # its workers were the templates' children
            reports[forked] = json.loads(report_path.read_text())
        else:
            reports[forked] = corpus.grade(submission, report_path, milestones=[case.milestone], limits=limits)
        time.sleep(0.5)
        assert _tagged(submission) == [], forked
    import shutil
    shutil.rmtree(drop, ignore_errors=True)
    assert reports[True]["status"] == "complete"
    assert corpus.check_results(reports[True]) == corpus.check_results(reports[False])
    assert reports[True]["integrity"] == reports[False]["integrity"]
