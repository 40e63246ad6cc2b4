"""Where students run it: the portable path gives the verdicts of the isolated one.

MICROGRADE_PLATFORM=portable makes the platform layer (worker/facilities.py) report every
facility beyond the portable core absent, as on Windows: no prctl, /proc, process groups,
resource limits, fork, select() on pipes. The student flow runs through it here, on the
reference, the template, hanging and crashing submissions, and must give the same checks
the same status and points as the isolated path, saying once that isolation is reduced.
A C library without the Linux-only calls (macOS's: dlsym fails) is simulated too, and a
Windows-like interpreter without `resource`, `fcntl`, `pwd`, `os.killpg`... must still
import every module of the kit.
"""
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from corpus import (REFERENCE, TEMPLATE, by_name, forget_the_platform, forget_what_follows_from_the_platform, grade,
                    patched_reference)
from hostile import FAST_LIMITS, Case, at_function_start, cases
from micrograde.report import validate_report
from micrograde.spec import KIT_ROOT
from micrograde.worker import facilities, isolation
from micrograde.worker.protocol import FrameReader, encode
from test_hostile import submission_processes

REDUCED = facilities.REDUCED
# Hostile cases that hang or crash, by name: a loop in a method, a sleep at import, an
# exit, recursion past the memory the isolated path allows, a flood of output (the parent
# polls the pipes on the portable path).
HANG_AND_CRASH = ("infinite_loop", "sleep_at_import", "os_exit_in_method", "unbounded_recursion", "print_flood",
                  "plot_hangs", "step_exits")
CASES = {case.name: case for case in cases(str(KIT_ROOT))}
# M4 has its own worker (it plots): a hang and a crash there too.
TRAINING = frozenset({"test_train_returns_one_float_loss_per_epoch", "test_train_history_is_the_loss_before_each_step",
                      "test_train_takes_exact_sgd_steps", "test_your_training_reaches_mse_below_0_01",
                      "test_your_mlp_trained_by_the_graders_loop_converges"})
# A worker restarted after each crash takes its start-up (plotting: a second or more) again:
# the run's own limit is kept out of the way, so that only the probes decide.
CASES["plot_hangs"] = Case("plot_hangs", "m4", patches=[at_function_start(
    "train", "def plot_losses(history, path):", "while True:\n    pass", indent=4)],
    must_fail=frozenset({"test_plot_losses_writes_a_png"}), limits={"run_timeout_s": 600})
CASES["step_exits"] = Case("step_exits", "m4", patches=[at_function_start(
    "optim", "def step(self):", "import os\nos._exit(3)")],
    must_fail=frozenset({"test_sgd_step_subtracts_lr_times_grad", "test_sgd_step_applies_weight_decay"}),
    may_fail=TRAINING | {"test_sgd_step_adds_nothing_to_the_graph"},
    limits={"run_timeout_s": 600, "probe_timeout_s": 10})  # plotting, after restarts, on a busy machine


@pytest.fixture
def portable(monkeypatch):
    """This process and every grading it starts take the portable path."""
    monkeypatch.setenv(facilities.ENV, facilities.PORTABLE)
    forget_the_platform()
    yield
    monkeypatch.delenv(facilities.ENV)
    forget_the_platform()


def _verdicts(report) -> list:
    return [(t["name"], t["status"], t["score"]) for t in report["tests"]]


def _isolated_then_portable(monkeypatch, submission, tmp_path, **kwargs):
    """The same submission graded on this machine's own path, then on the portable one."""
    monkeypatch.delenv(facilities.ENV, raising=False)
    forget_the_platform()
    isolated = grade(submission, tmp_path / "isolated.json", **kwargs)
    monkeypatch.setenv(facilities.ENV, facilities.PORTABLE)
    forget_the_platform()
    try:
        portable = grade(submission, tmp_path / "portable.json", **kwargs)
    finally:
        monkeypatch.delenv(facilities.ENV)
        forget_the_platform()
    for report in (isolated, portable):
        validate_report(report)
        assert report["status"] == "complete", report.get("note")
    assert REDUCED in portable["note"]
    # This machine's own path says so only where it lacks part of the isolation (not root).
    assert (REDUCED in isolated.get("note", "")) == bool(facilities.current().reduced())
    return isolated, portable


# -- the layer ---------------------------------------------------------------------------------
def test_forced_portable_layer_reports_every_facility_beyond_the_portable_core_absent(portable):
    offered = facilities.current()
    assert offered.forced_portable
    assert not (offered.prctl or offered.namespaces or offered.setuid or offered.proc or offered.cgroups
                or offered.sessions or offered.fork or offered.jobs or offered.select_pipes or offered.pipe_size)
    assert offered.rlimits == ()
    assert offered.reduced().startswith(REDUCED)
    assert isolation.available() == isolation.Available(False, False, offered.reduced())
    assert facilities.new_group() == {}  # no session on Linux; Windows gets CREATE_NEW_PROCESS_GROUP


def test_the_windows_job_limits_have_the_layout_windows_reads():
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION as 64-bit Windows lays it out: a wrong layout would
    set other limits than the worker's (not checkable by running it here)."""
    import ctypes

    from micrograde.worker import windows_job

    if ctypes.sizeof(ctypes.c_void_p) != 8:
        pytest.skip("the sizes below are those of a 64-bit process")
    assert ctypes.sizeof(windows_job._BasicLimits) == 64
    assert ctypes.sizeof(windows_job._IoCounters) == 48
    assert ctypes.sizeof(windows_job._ExtendedLimits) == 144
    assert windows_job._ExtendedLimits.JobMemoryLimit.offset == 120
    assert windows_job._BasicLimits.ActiveProcessLimit.offset == 40


def test_no_job_is_made_where_there_are_no_jobs(portable):
    from micrograde.worker import Limits

    assert facilities.contain(os.getpid(), Limits()) is False
    assert facilities._JOBS == {}


def test_linux_offers_every_facility_and_as_root_nothing_is_reduced():
    if not facilities.LINUX or facilities.forced_portable():
        pytest.skip("a Linux machine on its own path")
    offered = facilities.current()
    assert offered.prctl and offered.proc and offered.sessions and offered.select_pipes
    assert set(offered.rlimits) == set(facilities.LINUX_RLIMITS)
    if offered.root:
        assert offered.namespaces and offered.setuid and offered.reduced() == ""
    else:  # a student's Linux laptop: no namespaces nor a uid of its own, and the run says so
        assert offered.reduced().startswith(REDUCED) and "namespaces" in offered.reduced()


def test_a_grader_that_is_not_root_says_its_isolation_is_reduced(monkeypatch):
    import dataclasses

    as_a_user = dataclasses.replace(facilities.current(), root=False, setuid=False)
    monkeypatch.setattr(facilities, "current", lambda: as_a_user)
    monkeypatch.setattr(isolation, "is_root", lambda: False)
    forget_what_follows_from_the_platform()
    try:
        available = isolation.available()
        assert available == isolation.Available(False, False, as_a_user.reduced())
        assert available.degraded.startswith(REDUCED) and "a uid of its own" in available.degraded
    finally:
        forget_what_follows_from_the_platform()


def test_a_c_library_without_prctl_is_a_missing_facility_not_a_crash(monkeypatch):
    """macOS: dlsym(RTLD_DEFAULT, prctl) fails, and ctypes raises AttributeError."""
    import ctypes

    from micrograde.worker import processes

    class Lacking(ctypes.CDLL):
        def __getattr__(self, name):
            if name in ("prctl", "unshare", "mount", "umount2"):
                raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")
            return super().__getattr__(name)

    monkeypatch.setattr(ctypes, "CDLL", Lacking)
    forget_the_platform()
    try:
        offered = facilities.current()
        assert not offered.prctl and not offered.namespaces
        assert facilities.c_function("getpid") is not None  # the library itself was found
        assert processes.become_subreaper() is False
        processes.die_with_parent()  # nothing to ask for, nothing raised
        with pytest.raises(OSError, match="no prctl"):
            facilities.c_call("prctl", 1, 0, 0, 0, 0)
        assert "prctl" in offered.reduced()
    finally:
        monkeypatch.undo()
        forget_the_platform()


@pytest.mark.parametrize("path", ["select", "poll"])
def test_frames_and_output_are_read_with_a_deadline_on_both_ways_of_waiting(path, monkeypatch):
    if path == "poll":
        monkeypatch.setenv(facilities.ENV, facilities.PORTABLE)
    forget_the_platform()
    try:
        assert facilities.current().select_pipes == (path == "select")
        frames_r, frames_w = os.pipe()
        output_r, output_w = os.pipe()
        printed = []
        reader = FrameReader(frames_r, output_r, printed.append)
        os.write(output_w, b"printed before the answer\n")
        os.write(frames_w, encode({"ok": 1})[:3])  # half a frame: the reader waits for the rest
        with pytest.raises(TimeoutError):
            reader.read(time.monotonic() + 0.2)
        os.write(frames_w, encode({"ok": 1})[3:])
        assert reader.read(time.monotonic() + 5) == {"ok": 1}
        assert b"".join(printed) == b"printed before the answer\n"
        assert facilities.pipe_bytes(frames_r) == 0
        os.close(frames_w)
        with pytest.raises(EOFError):
            reader.read(time.monotonic() + 5)
        for fd in (frames_r, output_r, output_w):
            os.close(fd)
    finally:
        monkeypatch.undo()
        forget_the_platform()


# -- the same verdicts ---------------------------------------------------------------------------
def test_reference_gets_full_marks_in_every_milestone_on_the_portable_path(portable, tmp_path):
    report = grade(REFERENCE, tmp_path / "portable.json")
    validate_report(report)
    assert report["status"] == "complete" and set(report["milestones"]) == {"m1", "m2", "m3", "m4"}
    assert [t["name"] for t in report["tests"] if t["status"] != "passed"] == []
    assert report["score"] == report["max_score"] > 0
    assert REDUCED in report["note"]


def test_template_scores_zero_on_the_portable_path_as_on_the_isolated_one(monkeypatch, tmp_path):
    isolated, portable = _isolated_then_portable(monkeypatch, TEMPLATE, tmp_path)
    assert portable["score"] == 0 and portable["max_score"] > 0
    assert _verdicts(portable) == _verdicts(isolated)


def test_same_seed_gives_the_same_report_on_the_portable_path(portable, tmp_path):
    buggy = patched_reference(tmp_path / "buggy", [CASES["os_exit_in_method"].patches[0]])
    first = grade(buggy, tmp_path / "a.json", milestones=["m1"], seed=7, limits=FAST_LIMITS)
    second = grade(buggy, tmp_path / "b.json", milestones=["m1"], seed=7, limits=FAST_LIMITS)
    assert [(t["name"], t["status"], t["score"], t["feedback"]) for t in first["tests"]] == \
        [(t["name"], t["status"], t["score"], t["feedback"]) for t in second["tests"]]
    assert first["score"] < first["max_score"]


@pytest.mark.parametrize("name", HANG_AND_CRASH)
def test_a_hang_or_a_crash_costs_the_same_checks_on_the_portable_path(name, monkeypatch, tmp_path):
    case = CASES[name]
    submission = patched_reference(tmp_path / "submission", case.patches, case.files)
    limits = {**FAST_LIMITS, **case.limits}
    isolated, portable = _isolated_then_portable(monkeypatch, submission, tmp_path,
                                                 milestones=[case.milestone], limits=limits)
    checks = by_name(portable)
    must_fail = case.must_fail | {n for n in checks if case.fail_prefixes and n.startswith(case.fail_prefixes)}
    lost = {n for n, t in checks.items() if t["score"] < t["max_score"]}
    assert must_fail <= lost and not lost - must_fail - case.may_fail, sorted(lost)
    # Checks that touch the bad function only by chance may go either way; every other check
    # has the same status and points on both paths.
    assert [v for v in _verdicts(portable) if v[0] not in case.may_fail] == \
        [v for v in _verdicts(isolated) if v[0] not in case.may_fail]
    assert submission_processes(submission) == []  # the parent killed what the platform let it find


MACOS_LIKE = dict(prctl=False, namespaces=False, setuid=False, proc=False, cgroups=False, pipe_size=False,
                 rlimits=facilities.OTHER_POSIX_RLIMITS)


def test_a_grader_without_proc_or_prctl_kills_a_hung_worker_by_its_process_group(monkeypatch, tmp_path):
    """macOS's set: sessions and killpg, no /proc to find strays, no prctl. The grader's side
    of the kill is what this exercises (the worker keeps this machine's own facilities)."""
    import dataclasses

    from micrograde.errors import ProbeTimeout
    from micrograde.probes.names import ENGINE_CONSTRUCT, ENGINE_REPR
    from micrograde.worker import Sandbox

    mac = dataclasses.replace(facilities.current(), **MACOS_LIKE)
    assert mac.sessions and not mac.proc
    monkeypatch.setattr(facilities, "current", lambda: mac)
    forget_what_follows_from_the_platform()
    hangs = patched_reference(tmp_path / "hangs", [("engine", "    def __repr__(self):\n",
                                                    "    def __repr__(self):\n        while True: pass\n")])
    try:
        with Sandbox(hangs) as sandbox:
            assert sandbox.uid is None  # no /proc to find a uid's processes: no uid of its own
            sandbox.start()
            first = sandbox.proc.pid
            with pytest.raises(ProbeTimeout, match="did not return within 2 s"):
                sandbox.call(ENGINE_REPR, "repr(Value)", timeout=2, data=1.0, grad=0.0)
            assert submission_processes(hangs) == []  # killed with its group, at once
            assert sandbox.call(ENGINE_CONSTRUCT, "Value(2.0)", data=2.0)["data"] == 2.0
            assert sandbox.proc.pid != first
        assert submission_processes(hangs) == []
    finally:
        forget_what_follows_from_the_platform()


# -- the student flow: `pytest graders/m1` -------------------------------------------------------
def _student_flow(submission, tmp_path, env=None, prefix="", milestone="m1"):
    report = tmp_path / "report.json"
    code = textwrap.dedent(prefix) + "\nimport sys, pytest\nsys.exit(pytest.console_main())"
    result = subprocess.run([sys.executable, "-c", code, f"graders/{milestone}", "--submission", str(submission),
                             "--report", str(report)], cwd=KIT_ROOT, capture_output=True, text=True,
                            timeout=600, env={**os.environ, **(env or {})})
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(report.read_text())
    validate_report(data)
    return result, data


def test_student_flow_on_the_portable_path_says_once_that_isolation_is_reduced(tmp_path):
    result, report = _student_flow(REFERENCE, tmp_path, env={facilities.ENV: facilities.PORTABLE})
    assert report["score"] == report["max_score"] > 0 and result.returncode == 0
    assert result.stdout.count(REDUCED) == 1, result.stdout
    assert REDUCED in report["note"]
    template, report = _student_flow(TEMPLATE, tmp_path, env={facilities.ENV: facilities.PORTABLE})
    assert report["score"] == 0 and report["max_score"] > 0


# Installed before anything else, in the grading process and (through the kit's boot line)
# in each worker: a C library that lacks the Linux-only calls, as macOS's does.
LACKING_C_LIBRARY = """
import ctypes

class _Lacking(ctypes.CDLL):
    def __getattr__(self, name):
        if name in ("prctl", "unshare", "mount", "umount2"):
            raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")
        return super().__getattr__(name)

ctypes.CDLL = _Lacking
"""
IN_EVERY_WORKER = f"""
import micrograde.children as _children
_boot = _children._boot
_children._boot = lambda statement: _boot({LACKING_C_LIBRARY!r} + "\\n" + statement)
"""


def test_student_flow_with_a_c_library_lacking_prctl_gives_full_marks_and_zero(tmp_path):
    result, report = _student_flow(REFERENCE, tmp_path, prefix=LACKING_C_LIBRARY + IN_EVERY_WORKER)
    assert "AttributeError" not in result.stdout + result.stderr
    assert report["score"] == report["max_score"] > 0 and result.returncode == 0
    assert REDUCED in report["note"] and "prctl" in report["note"]
    assert result.stdout.count(REDUCED) == 1
    _, report = _student_flow(TEMPLATE, tmp_path, prefix=LACKING_C_LIBRARY + IN_EVERY_WORKER)
    assert report["score"] == 0 and report["max_score"] > 0


@pytest.mark.skipif(not facilities.LINUX, reason="prctl is Linux's")
def test_the_lacking_c_library_reaches_the_workers_too():
    """Without this, the test above would prove nothing about the worker's own prctl."""
    ask_a_kit_child = textwrap.dedent("""
        import subprocess
        from micrograde import children
        code = "from micrograde.worker import facilities; print(facilities.current().prctl)"
        print(subprocess.run(children.python(code), capture_output=True, text=True).stdout.strip())
    """)
    for prefix, prctl in (("", "True"), (LACKING_C_LIBRARY + IN_EVERY_WORKER, "False")):
        result = subprocess.run([sys.executable, "-c", prefix + ask_a_kit_child], capture_output=True, text=True,
                                timeout=60, env={k: v for k, v in os.environ.items() if k != facilities.ENV})
        assert result.stdout.strip() == prctl, result.stderr


# -- Windows: what does not exist there is not imported --------------------------------------------
WINDOWS_LIKE = """
import ctypes, os, pkgutil, sys, traceback
# The standard library and the kit's dependencies have their own Windows branches: loaded
# first, as they are; only the kit's modules meet the missing names below.
import subprocess, multiprocessing, select, signal, tempfile, threading
import pytest, hypothesis, jsonschema, tabulate, matplotlib, graphviz, tqdm, nbformat
for name in ("resource", "fcntl", "termios", "pwd", "grp", "posix_ipc"):
    sys.modules[name] = None  # `import name` raises ImportError, as on Windows
for name in ("killpg", "setsid", "fork", "getuid", "geteuid", "setresuid", "setresgid", "setgroups",
             "getpgid", "O_NOFOLLOW", "WNOHANG"):
    if hasattr(os, name):
        delattr(os, name)
_CDLL = ctypes.CDLL
class _NoProcessLibrary(_CDLL):
    def __init__(self, name, *args, **kwargs):
        if name is None:
            raise TypeError("expected str, bytes or os.PathLike object, not NoneType")
        super().__init__(name, *args, **kwargs)
ctypes.CDLL = _NoProcessLibrary
import micrograde
failed = []
names = [m.name for m in pkgutil.walk_packages(micrograde.__path__, "micrograde.", onerror=failed.append)]
for name in names:
    if name.endswith(".__main__"):  # runs the command line: its imports are the cli's
        continue
    try:
        __import__(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=-2))
from micrograde.worker import facilities
print("FAILED", failed)
print("FACILITIES", facilities.current())
"""


def test_every_kit_module_imports_without_the_posix_only_modules_and_calls():
    result = subprocess.run([sys.executable, "-c", WINDOWS_LIKE], capture_output=True, text=True, timeout=300,
                            cwd=KIT_ROOT / "graders")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FAILED []" in result.stdout, result.stdout[-5000:]
    # The layer, asked on such an interpreter, offers none of what it lacks.
    line = next(line for line in result.stdout.splitlines() if line.startswith("FACILITIES"))
    assert "sessions=False" in line and "fork=False" in line and "rlimits=()" in line


def test_no_kit_module_imports_a_posix_only_module_at_its_top():
    """The static half of the test above: `import resource` at module level is how Windows breaks."""
    import ast

    posix_only = {"resource", "fcntl", "termios", "pwd", "grp"}
    found = []
    for path in (KIT_ROOT / "graders" / "micrograde").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            found += [f"{path.relative_to(KIT_ROOT)}: {n}" for n in names if n.split(".")[0] in posix_only]
    assert found == []


# -- where we cannot go: the workflow, and what the package says ---------------------------------
def _supported_pythons() -> list[str]:
    text = (KIT_ROOT / "pyproject.toml").read_text()
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)


def test_the_package_claims_the_pythons_and_systems_that_are_tested_and_no_more():
    text = (KIT_ROOT / "pyproject.toml").read_text()
    versions = _supported_pythons()
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    low, high = versions[0], versions[-1]
    newer = f"3.{int(high.split('.')[1]) + 1}"
    assert f'requires-python = ">={low},<{newer}"' in text  # not a version nobody ran the flow on
    for system in ("POSIX :: Linux", "MacOS", "Microsoft :: Windows"):
        assert f'"Operating System :: {system}"' in text


def test_the_kit_workflow_runs_the_student_flow_on_every_system_and_supported_python():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((KIT_ROOT / ".github" / "workflows" / "student-flow.yml").read_text())
    job = workflow["jobs"]["student-flow"]
    matrix = job["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert [str(v) for v in matrix["python"]] == _supported_pythons()
    runs = [step.get("run", "") for step in job["steps"]]
    assert any("pip install -e ." in run for run in runs)
    assert any("python .ci/student_flow.py" in run for run in runs)
    # The student release's own workflow stays on Linux.
    from micrograde.kit_files import WORKFLOW_TEMPLATE

    release = yaml.safe_load(WORKFLOW_TEMPLATE.read_text())
    assert {job["runs-on"] for job in release["jobs"].values()} == {"ubuntu-latest"}


PLATFORM_CALLS = {"os.killpg", "os.setsid", "ctypes.CDLL", "ctypes.cdll", "ctypes.util.find_library"}
PLATFORM_KEYWORDS = {"preexec_fn", "start_new_session", "creationflags"}


def test_only_the_platform_layer_calls_the_platform_directly():
    """Every other module asks worker/facilities.py: a direct os.killpg or start_new_session is
    an assumption that breaks on Windows (or on a C library without the call)."""
    import ast

    layer = KIT_ROOT / "graders" / "micrograde" / "worker" / "facilities.py"
    found = []
    for path in sorted((KIT_ROOT / "graders" / "micrograde").rglob("*.py")):
        if path == layer:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and ast.unparse(node) in PLATFORM_CALLS:
                found.append(f"{path.relative_to(KIT_ROOT)}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.keyword) and node.arg in PLATFORM_KEYWORDS:
                found.append(f"{path.relative_to(KIT_ROOT)}:{node.lineno}: {node.arg}=")
    assert found == []
