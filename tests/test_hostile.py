"""Hostile and broken submissions: grading ends, fails closed, and leaves nothing behind.

Every case of `hostile.py` is graded through the real supervised path with small limits.
The grader must: finish in bounded time; write a schema-valid, complete report; take
points from exactly the checks that touch the bad function; leave no process of the
submission alive; and keep its report and its own files untouched, also after the run.
"""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path

import pytest

from corpus import CORPUS_ENGINE as REFERENCE_ENGINE, by_name, grade, patched_reference
from micrograde import grading
from hostile import (HIDDEN_COPY_FOLDERS, NON_UTF8_ENTRY, hidden_copy_files, lying_zip)
from hostile import (BROKEN_NEG, FAST_LIMITS, FORK_BURST, HANDOFF_DROP, HANDOFF_PICKUP, KIT_SHADOW, KIT_SHADOW_FILES,
                     PWNED, SNOOP_SECRETS, WORKER_MARKER, at_engine_end, at_function_start, cases)
from micrograde.errors import SubmissionError
from micrograde.exprgen import single_op
from micrograde.submission import check_folder
from micrograde.worker.client import worker_tag
from micrograde.probes.names import ENGINE_LOCAL_PROGRAM as LOCAL
from micrograde.report import load_report, validate_report
from micrograde.spec import KIT_ROOT
from micrograde.worker import Sandbox, isolation, processes
from micrograde.worker.limits import Limits

CASES = cases(str(KIT_ROOT))
LIMITS = Limits.from_dict(FAST_LIMITS)
# Bound on one grading: the run's own limit plus time to start pytest and write the report.
MAX_GRADING_S = FAST_LIMITS["run_timeout_s"] + 30
# Uids the root grader gives its workers (client._fresh_uid).
WORKER_UIDS = range(1_000_000, 2_000_000_000)
# The worker sees a private /tmp when grading as root: evidence goes where it can reach.
EVIDENCE_ROOT = "/run" if isolation.is_root() and os.path.isdir("/run") else None
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm")
# Reports graded in this session, re-read at the end, seconds after their runs.
FINISHED: list[tuple] = []


def _pwned_kit_files() -> list[str]:
    """Kit files carrying the mark that `attacks_the_grader` appends when a write succeeds.

    Not a hash of the kit: teammates and CI may edit it while this suite runs.
    """
    return [str(p) for folder in ("graders", "reference") for p in (KIT_ROOT / folder).rglob("*.py")
            if PWNED in p.read_bytes()]


def _status_and_uid(pid: int):
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return fields["State"].split()[0], int(fields["Uid"].split()[1])
    except (OSError, KeyError, ValueError):
        return None


def submission_processes(submission) -> list[str]:
    """Live processes of this submission's worker, and anything forked from it.

    Other gradings may run on this machine (CI, teammates), so we look only at processes
    whose command line carries this submission's worker tag (a digest of its path, not the
    path), which every fork inherits.
    """
    mine = worker_tag(check_folder(submission)).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        info = _status_and_uid(int(name))
        if info is None or info[0] == "Z":  # gone, or a zombie: runs no code
            continue
        if WORKER_MARKER.encode() in cmdline and mine in cmdline:
            found.append(f"pid {name} uid {info[1]}: {cmdline[:100]!r}")
    return found


@pytest.fixture(scope="module")
def evidence():
    """A folder anyone may enter, for the attacks' evidence; removed after the module."""
    folder = Path(tempfile.mkdtemp(prefix="micrograde-hostile-", dir=EVIDENCE_ROOT))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.known_gap)] if c.known_gap else [])
    for c in CASES])
def test_hostile_submission_is_graded_safely(case, tmp_path_factory, evidence):
    folder = tmp_path_factory.mktemp(case.name)
    drop = Path(tempfile.mkdtemp(prefix="drop-", dir=evidence))
    os.chmod(drop, 0o777)  # the worker's fresh uid must be able to leave its evidence here
    report_path = folder / "report.json"
    patches = [(module, old, new.replace("__DROP__", str(drop)).replace("__REPORT__", str(report_path)))
               for module, old, new in case.patches]
    submission = patched_reference(folder / "submission", patches, case.files)

    started = time.monotonic()
    report = grade(submission, report_path, milestones=[case.milestone], limits={**FAST_LIMITS, **case.limits})
    elapsed = time.monotonic() - started

    assert elapsed < MAX_GRADING_S, f"grading took {elapsed:.0f} s"
    validate_report(report)
    assert report["status"] == "complete", report.get("note")
    assert report["limits"]["probe_timeout_s"] == {**FAST_LIMITS, **case.limits}["probe_timeout_s"]
    # What cannot be prevented is detected: the case's integrity rules reach the report.
    assert case.flags <= {f["rule"] for f in report["integrity"]}

    checks = by_name(report)
    assert case.must_fail <= set(checks), "a check this case expects is not in the milestone"
    by_prefix = {name for name in checks if case.fail_prefixes and name.startswith(case.fail_prefixes)}
    assert all(any(n.startswith(p) for n in by_prefix) for p in case.fail_prefixes), "a prefix matches no check"
    must_fail = case.must_fail | by_prefix
    lost = {name for name, check in checks.items() if check["score"] < check["max_score"]}
    unexpected = lost - must_fail - case.may_fail
    assert not unexpected, "checks that do not touch the bad function lost points: " + "; ".join(
        f"{n}: {checks[n]['feedback'][:200]}" for n in sorted(unexpected))
    assert must_fail <= lost, f"these checks should have lost points: {sorted(must_fail - lost)}"
    for name in must_fail:
        assert checks[name]["status"] != "passed" and checks[name]["feedback"], name

    assert submission_processes(submission) == []
    on_disk = report_path.read_bytes()
    assert load_report(report_path) == report
    # What was printed is kept as head and tail: a flood does not make the report large.
    assert len(on_disk) < 64 * 1024 * (len(checks) + 1)
    assert _pwned_kit_files() == [], "the submission changed the kit's files"
    if case.name == "leaves_files_behind" and isolation.is_root():
        left = [p for folder in SHARED_TEMP for p in Path(folder).glob(f"{drop.name}-leftover")]
        for path in left:
            path.unlink()
        assert left == [], "the worker's files outlived it in a shared temporary folder"
    if case.name == "leaves_shared_memory_behind":
        # Refused (ctypes, worker/audit.py) or made and then gone with the worker: either holds.
        refused = any(f["rule"] == "refused_in_worker" and "ctypes" in f["detail"] for f in report["integrity"])
        assert refused or "shared-memory segments made: 3" in _outputs(report), \
            "the attack was neither refused nor made its segments: proves nothing"
        keys = {(zlib.crc32(str(drop).encode()) + i) & 0x7fffffff for i in range(3)}
        with open("/proc/sysvipc/shm") as f:
            left = [line.split()[1] for line in list(f)[1:] if int(line.split()[0]) in keys]
        for shmid in left:
            subprocess.run(["ipcrm", "-m", shmid], check=False)
        assert left == [] or not isolation.is_root(), "shared memory outlived the worker"
    if case.name == "fills_the_disk_with_files_under_the_size_limit" and isolation.is_root():
        written = int(_outputs(report).split("MB written: ")[1].split()[0])
        assert "disk full" in _outputs(report) and written <= report["limits"]["disk_mb"], _outputs(report)[-300:]
    if case.name == "prints_200_mb_at_import":  # the tail is kept: what was printed last
        assert "the last line" in _outputs(report) and "bytes of output left out" in _outputs(report)
    if case.name == "outlives_grading_rewrites_report":
        assert "report paths found on command lines: 0" in _outputs(report), "the attack found the report's path"
        if not isolation.is_root():  # as root, the worker cannot reach the evidence folder
            assert str(report_path) in (drop / "heartbeat").read_text(), "the late writer never ran"
    FINISHED.append((submission, report_path, on_disk, time.monotonic(), drop, _contents(drop)))


def _outputs(report) -> str:
    """Everything the submission printed during one grading (the attacks' evidence)."""
    return "\n".join(t.get("output", "") for t in report["tests"])


def _contents(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_reports_are_still_the_graders_seconds_after_the_runs():
    """Late writers (detached processes) had time to strike: every report is unchanged."""
    if not FINISHED:
        pytest.skip("no hostile case was graded in this session")
    wait = 3.0 - (time.monotonic() - FINISHED[-1][3])
    if wait > 0:
        time.sleep(wait)
    for submission, path, content, _, drop, evidence in FINISHED:
        assert path.read_bytes() == content, f"{path} was rewritten after grading"
        assert _contents(drop) == evidence, "a process of the submission was still active after grading"
        assert submission_processes(submission) == []


@pytest.mark.skipif(not isolation.is_root(), reason="the privilege drop happens only when grading as root")
def test_a_probe_cannot_signal_the_grader_or_write_its_files(tmp_path):
    """As root the worker runs as a fresh uid: every attempt of `attacks_the_grader` fails.

    Its __neg__ raises if any kill, stop, /proc/<pid>/mem open or write of a kit file
    succeeds, so a passing __neg__ check is the proof; this also looks at the uid directly.
    """
    case = next(c for c in CASES if c.name == "attacks_the_grader")
    submission = patched_reference(tmp_path / "submission", case.patches)
    with Sandbox(submission, LIMITS) as sandbox:
        # Its /proc reads are refused in the worker (the check fails closed); nothing escaped.
        with pytest.raises(SubmissionError) as raised:
            sandbox.call(LOCAL, "-x0", program=single_op("neg", 0).to_json())
        assert raised.value.type_name == "RefusedByGrader" and "escaped" not in str(raised.value), str(raised.value)
        uid = sandbox.uid
        assert uid in WORKER_UIDS and sandbox.worker_uid == uid
        # The process the grader started waits outside the worker's PID namespace; the
        # worker is its child, and runs as the fresh uid.
        workers = [pid for pid in processes.processes_of_uid(uid) if processes._stat(pid)[0] == sandbox.proc.pid]
        assert len(workers) == 1
    assert list(processes.processes_of_uid(uid)) == []


@pytest.fixture
def not_root(monkeypatch):
    """A non-root grader. isolation.available() is decided once per process, so it is asked
    again now, and again as what we really are afterwards."""
    monkeypatch.setattr(isolation, "is_root", lambda: False)
    isolation.available.cache_clear()
    yield
    isolation.available.cache_clear()


def test_non_root_sandbox_still_kills_detached_children(tmp_path, not_root):
    """Without root there is no private uid to kill by: the subreaper must find the forks."""
    submission = patched_reference(tmp_path / "submission", [
        at_function_start("engine", "def __rmul__(self, other):  # other * self", FORK_BURST)])
    # 64 forks of a whole interpreter take a while on a busy machine: the default deadline.
    with Sandbox(submission, Limits.from_dict({**FAST_LIMITS, "probe_timeout_s": 10})) as sandbox:
        assert sandbox.uid is None
        answer = sandbox.call(LOCAL, "3 * x0", program=single_op("mul", ("c", 3), 0).to_json())
        assert answer["values"][-1] == 6.0
        assert len(submission_processes(submission)) > 2, "the fork burst did not run: this test proves nothing"
    assert submission_processes(submission) == []


def _pytest_child():
    """The pid of the pytest process grading for this test process, once it runs.

    Its command line names no report (the paths are secrets of the run): it is our child
    whose command line loads the kit's pytest plugin.
    """
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except (OSError, ValueError, IndexError):
                continue
            if ppid == os.getpid() and b"micrograde.pytest_options" in argv:
                return int(name)
    return None


def test_supervisor_fails_closed_when_the_grading_process_is_killed(tmp_path):
    """What a submission can do on a laptop (same uid): kill the pytest that grades it.

    The supervising parent must still leave a schema-valid report with no points.
    """
    submission = patched_reference(tmp_path / "submission")
    report_path = tmp_path / "report.json"
    result = {}
    thread = threading.Thread(target=lambda: result.update(report=grade(
        submission, report_path, milestones=["m3"], limits=FAST_LIMITS)))
    thread.start()
    deadline = time.monotonic() + 60
    killed = False
    while time.monotonic() < deadline and thread.is_alive() and not killed:
        pid = _pytest_child()
        if pid and report_path.exists():  # collected, the fail-closed "incomplete" report is there
            os.kill(pid, signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    thread.join(MAX_GRADING_S)
    assert killed, "the grading finished before it could be killed: this test proves nothing"
    report = result["report"]
    validate_report(report)
    assert report["status"] != "complete"
    assert report["score"] == 0
    assert "SIGKILL" in report["note"]
    assert load_report(report_path) == report
    assert submission_processes(submission) == []


PHONE_HOME = '''
        import socket
        try:
            socket.create_connection(("127.0.0.1", __PORT__), timeout=2).close()
            return "connected"
        except OSError as e:
            return f"blocked: {e}"
'''


@pytest.mark.skipif(not isolation.is_root(), reason="the network namespace needs root")
def test_a_worker_cannot_reach_the_network(tmp_path):
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        submission = patched_reference(tmp_path / "submission", [
            ("engine", "    def __repr__(self):\n",
             "    def __repr__(self):" + PHONE_HOME.replace("__PORT__", str(port)) + "\n    def _unused(self):\n")])
        with Sandbox(submission, LIMITS) as sandbox:
            answer = sandbox.call("engine.repr", "repr(Value)", data=1.0, grad=0.0)
        assert answer.startswith("blocked"), answer
        with pytest.raises(socket.timeout):
            server.accept()


# -- a whole batch: the working directory, secrets, classmates --------------------------------

def _batch(src, out, **kwargs):
    from micrograde.batch.runner import run_batch

    return run_batch(src, out, jobs=1, milestones=["m1"], progress=False, log=lambda message: None,
                     limits=LIMITS, **kwargs)


def test_a_batch_survives_names_that_are_not_utf8_and_zips_that_lie(tmp_path):
    """Issue 19: a non-UTF-8 folder name and a zip whose UTF-8 flag lies are each one
    submission's problem (or none at all); every other submission is graded."""
    src = tmp_path / "src"
    patched_reference(src / "bob")
    shutil.copytree(src / "bob", os.fsdecode(os.fsencode(src) + b"/" + NON_UTF8_ENTRY))
    (src / "bob" / "micrograd").joinpath(os.fsdecode(b"notes-\xff.txt")).write_bytes(b"a name no module has")
    lying_zip(src / "liar.zip")
    result = _batch(src, tmp_path / "out")
    outcomes = {name: (report, problem) for name, report, problem in result.outcomes}
    assert set(outcomes) == {"bob", "caf_-", "liar"}, set(outcomes)
    for name in ("bob", "caf_-"):
        report, problem = outcomes[name]
        assert problem is None and report["score"] == report["max_score"] > 0, (name, problem)
    assert outcomes["liar"][0] is None and outcomes["liar"][1].startswith("bad_zip:")
    rows = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")
    assert "caf\ufffd-\ufffd" in rows  # the entry as handed in, its bytes that are not text shown as such


def test_what_the_worker_may_import_is_what_similarity_compares(tmp_path):
    """Issue 19: one selection of files. A copy of the engine hidden in tests/, a hidden
    folder and build/ is not in the worker's copy (so it cannot run), and every code file
    the worker's copy holds is in the similarity document."""
    from micrograde import submission as submission_files
    from micrograde.similarity.documents import submission_document

    engine = (REFERENCE_ENGINE).read_text()
    submission = patched_reference(tmp_path / "s", files=hidden_copy_files(engine))
    copy = tmp_path / "copy"
    submission_files.copy(submission, copy)
    copied = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
    assert not any(rel.startswith(HIDDEN_COPY_FOLDERS) for rel in copied), copied
    document = submission_document(submission).text
    code = {rel for rel in copied if rel.endswith((".py", ".ipynb"))}
    assert code and all(f"# ---- {rel}\n" in document for rel in code)
    # and the hidden engine cannot run: found nowhere the grader looks, absent from the copy
    from micrograde.errors import MissingName
    with Sandbox(submission, LIMITS) as sandbox:
        with pytest.raises(MissingName, match="Value is missing"):
            sandbox.call("engine.construct", "Value(1.0)", data=1.0)


def test_batch_run_from_inside_src_never_imports_a_student_folder(tmp_path, monkeypatch):
    """Class 3: `micrograde batch .` from inside SRC, which holds a folder named micrograde/."""
    src, mark = tmp_path / "class", tmp_path / "imported"
    patched_reference(src / "alice")
    for rel, text in KIT_SHADOW_FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(KIT_SHADOW.replace("__MARK__", str(mark)))
    monkeypatch.chdir(src)
    result = _batch(".", tmp_path / "out")
    assert not mark.exists(), "a kit child imported a student's folder: " + mark.read_text()
    report = next(r for name, r, _ in result.outcomes if name == "alice")
    assert report["score"] == report["max_score"]


def test_a_batch_shows_no_secret_to_its_submissions(tmp_path):
    """Classes 2 and 7: no seed or batch path in any command line a worker can read."""
    token = f"classroom{uuid.uuid4().hex[:12]}"
    seed = random.SystemRandom().randrange(10 ** 8, 10 ** 9)
    src = tmp_path / token / "src"
    patched_reference(src / "alice", [at_engine_end(SNOOP_SECRETS.replace("__TOKEN__", token))])
    result = _batch(src, tmp_path / token / "out", seed=seed)
    report = result.outcomes[0][1]
    assert report["seed"] == seed and _lost_only_to_refusals(report)
    printed = _outputs(report)
    assert "snooped" in printed, "the snooping code never ran: this test proves nothing"
    # Other gradings may run on this machine (CI, teammates): only this batch's secrets count.
    assert str(seed) not in printed and token not in printed, printed
    if isolation.is_root():  # its own PID namespace: the worker sees itself and its children only
        seen = int(printed.split("snooped ")[1].split()[0])
        assert seen <= 3, printed


@pytest.mark.skipif(not isolation.is_root(), reason="namespaces need root: without it, workers share the machine")
def test_classmates_in_a_batch_cannot_pass_anything_to_each_other(tmp_path):
    """Class 2: Alice drops a package in every shared place; Bob, graded next, looks for it."""
    token = f"handoff{uuid.uuid4().hex[:12]}"
    key = random.SystemRandom().randrange(1 << 20, 1 << 30)
    src = tmp_path / "src"
    patched_reference(src / "alice", [at_engine_end(HANDOFF_DROP.replace("__TOKEN__", token)
                                                    .replace("__SHM_KEY__", str(key)))])
    patched_reference(src / "bob", [BROKEN_NEG, at_engine_end(HANDOFF_PICKUP.replace("__TOKEN__", token)
                                                              .replace("__SHM_KEY__", str(key)))])
    try:
        result = _batch(src, tmp_path / "out")
    finally:
        left, segments = _clean_up_handoff(token, key)
    reports = {name: report for name, report, _ in result.outcomes}
    assert "pickup: nothing" in _outputs(reports["bob"]), _outputs(reports["bob"])[:2000]
    assert by_name(reports["bob"])["test_neg_flips_value_and_gradient"]["score"] == 0
    assert _lost_only_to_refusals(reports["alice"])
    assert "pickup" in _outputs(reports["bob"]), "the pickup code never ran: this test proves nothing"
    # Nothing of Alice's outlived her worker: no file in a shared folder, no shm segment.
    assert left == [], "files of a worker outlived it in shared folders"
    assert segments == [], "a shared-memory segment outlived the worker"


def _lost_only_to_refusals(report) -> bool:
    """Every point the report lost went to the worker's refusals (/proc, ctypes at import):
    the check that ran them fails closed, the others keep their points."""
    return all(t["score"] == t["max_score"] or t["feedback"].startswith("RefusedByGrader")
               for t in report["tests"])


def _clean_up_handoff(token: str, key: int):
    """Remove what the handoff attack left on this machine; return what that was."""
    with open("/proc/self/mountinfo") as f:
        folders = {line.split()[4] for line in f} | {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/run"}
    left = [p for p in (Path(f) / f"{token}.py" for f in folders) if p.is_file()]
    for path in left:
        path.unlink()
    with open("/proc/sysvipc/shm") as f:
        segments = [line.split()[1] for line in list(f)[1:] if int(line.split()[0]) == key]
    for shmid in segments:
        subprocess.run(["ipcrm", "-m", shmid], check=False)
    return left, segments


def test_the_terminal_shows_a_submissions_control_characters_escaped(tmp_path):
    """Class 6: what `micrograde grade` prints never carries the submission's escapes."""
    case = next(c for c in CASES if c.name == "redraws_the_terminal")
    submission = patched_reference(tmp_path / "submission", case.patches)
    with open(tmp_path / "terminal.txt", "wb") as terminal:
        report = grading.grade(submission, tmp_path / "r.json", milestones=["m1"], limits=FAST_LIMITS,
                               output=terminal)
    printed = (tmp_path / "terminal.txt").read_bytes()
    assert "[2J" in by_name(report)["test_neg_flips_value_and_gradient"]["feedback"]
    assert b"\\x1b[2J" in printed, "the feedback was not printed: this test proves nothing"
    assert not any(byte in printed for byte in (b"\x1b", b"\x07", b"\r")), printed[-2000:]
