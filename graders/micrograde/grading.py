"""Grading one submission: a supervised pytest run of the grader suites, ending in a report.

This process is the supervising parent. The grading itself runs in a child process
(pytest with our plugin), which starts the workers. If the child dies (killed by the
submission, say), or leaves a report that is not its final one, the parent writes a
fail-closed report: every check present, none scored. Either way a valid report exists.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import children, integrity, rubric
from . import course as course_files
from . import submission as submission_files
from .errors import KitError, ReportError, UsageError
from .options import limit_flags
from .report import load_report, write_report
from .layout.discover import discover, load_override
from .report.build import INTEGRITY_POLICIES, build_report
from .spec import DEFAULT_SEED, GRADERS
from .worker import cgroup, facilities, processes, sweep
from .worker.client import FRESH_UIDS
from .worker.limits import Limits

# Beyond the run's own limit: time for pytest to start, collect and write the report.
SUPERVISOR_MARGIN_S = 120
UNREAD = hashlib.sha256(b"").hexdigest()  # the hash of a report made before the submission was read
# The grading process's address space beyond its largest worker's: pytest, Hypothesis and
# the trusted evaluator use a few hundred MB.
GRADER_MEMORY_MB = 2048


def limit_the_grader(limits: Limits) -> None:
    """The grading process's own address space: whatever a submission sends it, the grader
    cannot grow without bound (its workers live inside the same ceiling, below their own)."""
    if "AS" not in facilities.current().rlimits:  # the platform does not hold it (macOS, Windows)
        return
    ceiling = (max(GRADER_MEMORY_MB, limits.memory_mb) + GRADER_MEMORY_MB) * 1024 * 1024
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    except (ImportError, AttributeError, ValueError, OSError):  # a platform without RLIMIT_AS: the answer caps still hold
        pass


def _clean_up_after(grader: int, scratch: str) -> None:
    """What the grading process leaves when it is killed before its own clean-up: its
    workers' cgroups, and the processes, files and segments of their uids (each worker's
    scratch folder belongs to its uid)."""
    cgroup.remove_leftovers(grader)
    if not facilities.current().setuid:  # no worker had a uid of its own
        return
    for folder in Path(scratch).glob("micrograde-run-*/scratch"):
        try:
            uid = folder.stat().st_uid
        except OSError:
            continue
        if uid != os.getuid() and uid >= FRESH_UIDS:
            processes.kill_uid(uid)
            sweep.remove_owned(uid)


def check_milestones(milestones) -> list[str]:
    chosen = list(milestones or rubric.MILESTONES)
    unknown = [m for m in chosen if m not in rubric.MILESTONES]
    if unknown:
        raise UsageError(f"unknown milestone {', '.join(unknown)}: choose from {', '.join(rubric.MILESTONES)}")
    return [m for m in rubric.MILESTONES if m in chosen]


def fail_closed(submission: Path, report_path: Path, milestones, seed: int, limits: Limits, note: str,
                started: float, integrity_policy: str = "report", course=None, layout=None, *,
                read: bool = True, private: bool = False) -> dict:
    """A report with every check present and none scored. `read`: hash and scan the
    submission for it (else its hash is that of nothing: the report written before
    anything of the submission is read); `private`: while workers may still run."""
    sha256, findings = UNREAD, []
    if read:
        try:
            sha256 = submission_files.sha256(submission)
            findings = integrity.static_facts(submission, _layout(submission, layout)).findings.to_list()
        except Exception as e:  # an unreadable submission still ends in its report
            note = f"{note}; the submission could not be read ({type(e).__name__}: {e})"
    report = build_report(results={}, milestones=milestones, seed=seed, submission_path=str(submission),
                          sha256=sha256, limits=limits.to_dict(), duration_s=time.monotonic() - started,
                          note=note, integrity=findings, integrity_policy=integrity_policy, course=course)
    write_report(report, report_path, private)
    return report


def _layout(submission, layout_file):
    """The resolved layout the grading run used (its --layout included): the scan reads what it imports."""
    try:
        return discover(submission, layout_file)
    except Exception:  # noqa: BLE001 - a fail-closed report is written whatever discovery does
        return None


def _is_final(report: dict, submission: Path, seed: int, milestones, integrity_policy: str, course) -> bool:
    # Not the grading_key: the kit on disk may change while a run goes on (an upgrade, a
    # teammate's edit); the report is still this run's, and a batch re-run regrades it.
    return (report["status"] == "complete" and report["seed"] == seed
            and report["course"]["sha256"] == course.sha256
            and report["submission"]["sha256"] == submission_files.sha256(submission)
            and sorted(report["milestones"]) == sorted(milestones)
            and report["integrity_policy"] == integrity_policy)


def grade(submission, report_path, *, milestones=None, seed: int = DEFAULT_SEED, limits=None,
          output=None, integrity_policy: str = "report", layout=None, course=None) -> dict:
    """Grade one submission folder; always write a schema-valid report and return it.

    `output` is where pytest's terminal output goes (None: this process's stdout).
    `integrity_policy`: "report" (findings shown, score unchanged) or "zero" (flagged: 0).
    `layout`: an instructor's layout file (contract name -> "path.py[:Name]"), checked here.
    `course`: a course pack folder (None: the kit's course/ if any, else the default), checked here.
    Raises UsageError (NotASubmission) for bad arguments, KitError for a fault of the kit; a submission that
    crashes, hangs or kills the grading process still gets its (fail-closed) report.
    """
    started = time.monotonic()
    submission = submission_files.check_folder(submission)
    milestones = check_milestones(milestones)
    if integrity_policy not in INTEGRITY_POLICIES:
        raise UsageError(f"--integrity must be one of {', '.join(INTEGRITY_POLICIES)}, not {integrity_policy!r}")
    limits = limits if isinstance(limits, Limits) else Limits.from_dict(limits)
    layout_args = []
    if layout is not None:
        layout = Path(layout).resolve()
        load_override(layout)  # a bad layout file is the caller's error, said before grading starts
        layout_args = [f"--layout={layout}"]
    course_pack = course_files.load(course)  # a bad pack is the caller's error, said before grading starts
    if course_pack.root is not None:
        layout_args.append(f"--course={course_pack.root}")
    report_path = Path(report_path).resolve()
    # Fail closed before anything of the submission is read: a name or file that breaks
    # the reading still leaves this report (readable by us only while workers may run).
    fail_closed(submission, report_path, milestones, seed, limits, "grading did not start: the grader stopped "
                "before it could read the submission", started, integrity_policy, course_pack, read=False,
                private=True)
    # One scratch folder for everything the run leaves (the workers' run folders, Hypothesis's
    # files), removed below even when the grading process was killed before its own clean-up.
    scratch = tempfile.mkdtemp(prefix="micrograde-grading-")
    os.chmod(scratch, 0o711)  # the workers' uids pass through to their own run folders
    # The seed and the paths are secrets of the run (a private seed, a batch's SRC and OUT):
    # they go to pytest in a file only we may read (pytest's @file), never on a command
    # line, which any process may read in /proc. Option values joined with "=" so that no
    # path can be taken for a test path.
    secrets = children.secret_arguments(scratch, [f"--submission={submission}", f"--report={report_path}",
                                                  f"--seed={seed}", *layout_args])
    # No auto-loaded plugins (a stray pytest-randomly must not reorder checks); ours by name.
    args = ["-p", "micrograde.pytest_options",
           "-c", str(GRADERS / "pytest.ini"), "--rootdir", str(GRADERS),
           *(str(GRADERS / m) for m in milestones), secrets, f"--integrity={integrity_policy}",
           *limit_flags(limits)]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "HYPOTHESIS_STORAGE_DIRECTORY": scratch,
           "TMPDIR": scratch}
    processes.become_subreaper()
    with processes.SPAWN_LOCK:
        proc = children.start_pytest(args, GRADERS, env, output)
        processes.PROTECTED.add(proc.pid)
    since = processes.start_time(proc.pid)
    try:
        code = proc.wait(timeout=limits.run_timeout_s + SUPERVISOR_MARGIN_S)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        processes.PROTECTED.discard(proc.pid)
        processes.kill_everything(proc.pid, None, since, alive=proc.returncode is None)
        _clean_up_after(proc.pid, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    if code is None:
        proc.wait()
        return fail_closed(submission, report_path, milestones, seed, limits,
                           f"grading was stopped after {limits.run_timeout_s + SUPERVISOR_MARGIN_S:g} s",
                           started, integrity_policy, course_pack, layout)
    if code in (2, 3, 4):
        fail_closed(submission, report_path, milestones, seed, limits, f"the kit failed (pytest exit {code})",
                    started, integrity_policy, course_pack, layout)
        raise KitError(f"the grader itself failed (pytest exit status {code}); its output above says why")
    try:
        report = load_report(report_path)
        if code in (0, 1) and _is_final(report, submission, seed, milestones, integrity_policy, course_pack):
            return report
    except ReportError:
        pass
    # A signal may come from outside (the submission's processes, the OOM killer); a status is
    # the grading process's own end, whose traceback is in its output.
    how = (f"was killed by {signal.Signals(-code).name} before writing its report (killed by the submission?)"
           if code < 0 else f"exited with status {code} before writing its report (its output says why)")
    return fail_closed(submission, report_path, milestones, seed, limits, f"the grading process {how}",
                       started, integrity_policy, course_pack, layout)
