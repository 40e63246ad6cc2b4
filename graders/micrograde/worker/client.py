"""The grader's side of a worker: start it, ask it probes under deadlines, clean up after it."""
import hashlib
import hmac
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .. import children, spec
from .. import submission as submission_files
from ..layout import discover as discover_layout
from ..errors import KitError, MissingName, NotGradedSeparately, ProbeTimeout, ProtocolError, SubmissionError, WorkerCrashed
from ..untrusted import cap, capped, needs_capping
from . import affinity, cgroup, facilities, fonts, forkserver, isolation, processes, sweep
from .watchdog import Watchdog, kill_all, session_members
from .limits import Limits
from .output import OutputLog
from .protocol import (REFUSED, SEAL, SEQ, TAMPERING, Answer, CapabilityOff, FrameReader, Imported, Importing, KitFault,
                       NameMissing, NotImplementedYet, Raised, Ready, Request, message_from_frame, seal, send)

KIT_ROOT = str(Path(__file__).resolve().parents[3])
# A worker's command line holds nothing but this and the tag below: its configuration
# (paths of the run) comes as the first frame on its stdin.
WORKER_MAIN = "from micrograde.worker.main import run; run()"
STARTUP_TIMEOUT_S = 60.0
TYPE_NAME_CAP = 200
OUTPUT_PIPE_BYTES = 1 << 20
TRACEBACK_LINES = 40
# The most an answer to any probe can legitimately hold, checked from a frame's header
# before its body is read: the largest the reference gives is train()'s recorded steps
# (probes/training.py keeps them under MAX_RECORDED_FLOATS, about 150 KB); a student's longest repr (64 KiB) or error still fits. A
# 16 MB answer decoded would cost the grading process gigabytes and a minute.
ANSWER_BYTES = 256 * 1024
FRESH_UIDS = 1_000_000  # the lowest uid a worker gets: far above any account's


def _fresh_uid() -> int:
    rng = random.SystemRandom()
    while True:
        uid = rng.randrange(FRESH_UIDS, 2_000_000_000)
        if not any(processes.processes_of_uid(uid)):
            return uid


def _chown_tree(path: Path, uid: int) -> None:
    for folder, _, names in os.walk(path):
        os.chown(folder, uid, uid)
        for name in names:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def worker_tag(submission) -> str:
    """What a worker's command line says about it: a digest of its submission's path (not
    the path), so that tests and instructors can tell whose worker a process is."""
    return "micrograde-worker-" + hashlib.sha256(str(submission).encode()).hexdigest()[:16]


def worker_environment(home) -> dict:
    """A worker's whole environment (a template worker's too, with a home of its own)."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "HOME": str(home),
           "USERPROFILE": str(home), "MPLCONFIGDIR": str(Path(home, fonts.FOLDER)),
           **facilities.essential_environment()}
    if facilities.forced_portable():  # the worker asks the same layer, and must get the same answers
        env[facilities.ENV] = os.environ[facilities.ENV]
    return env


# How Windows reports a process that crashed: an NTSTATUS exit code, not a signal.
WINDOWS_CRASHES = {
    0xC0000005: "it crashed with an access violation (a crash in native code)",
    0xC00000FD: "it crashed with a stack overflow (very deep recursion?)",
    0xC0000409: "it crashed (a fatal error in the interpreter: very deep recursion?)",
    0xC0000017: "it ran out of memory",
}


def enforcement(available: isolation.Available | None = None, group_made: bool | None = None) -> dict:
    """How this machine holds a worker's limits (the report's `enforcement`): `mechanism`
    for memory, processes and CPU time of all its processes together, and the limits
    nothing holds. `group_made`: whether the worker at hand got its cgroup."""
    available = available or isolation.available()
    parents = cgroup.available() if group_made is None or group_made else None
    if parents is not None:
        mechanism = parents.mechanism
    elif facilities.current().proc:
        mechanism = "watchdog"
    else:
        mechanism = "rlimits"
    not_enforced = []
    if mechanism == "rlimits":
        not_enforced += ["memory_mb", "processes", "cpu_seconds"]
    # Disk: a sized tmpfs in the minimal root; else the watchdog counts the files of the
    # worker's own uid, everywhere; sharing our uid, its files elsewhere cannot be told apart.
    if not available.minimal_root and (not available.fresh_uid or mechanism == "rlimits"):
        not_enforced.append("disk_mb")
    return {"mechanism": mechanism, "not_enforced": not_enforced}


def not_enforced_note(held: dict) -> str:
    if not held["not_enforced"]:
        return ""
    return f"limits not enforced on this machine: {', '.join(held['not_enforced'])}"


def describe_exit(code: int, limits: Limits) -> str:
    if code is None:
        return "the worker stopped answering"
    if facilities.WINDOWS and (code & 0xFFFFFFFF) in WINDOWS_CRASHES:
        return f"the worker process crashed (exit code {code & 0xFFFFFFFF:#x}): {WINDOWS_CRASHES[code & 0xFFFFFFFF]}"
    if code >= 0:
        return f"the worker process exited with status {code} (sys.exit or os._exit in the submission?)"
    sig = -code
    # Signals this platform defines (Windows has neither SIGXCPU nor SIGKILL).
    reasons = {getattr(signal, name): reason for name, reason in (
        ("SIGXCPU", f"it used up its CPU time limit of {limits.cpu_seconds} s"),
        ("SIGXFSZ", f"it wrote a file larger than the file size limit of {limits.file_size_mb} MB"),
        ("SIGSEGV", "it crashed with a segmentation fault (very deep recursion?)"),
        ("SIGKILL", "it was killed (memory exhausted, or killed by the submission itself)"),
    ) if hasattr(signal, name)}
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
    return f"the worker process died of {name}: {reasons.get(sig, 'killed by a signal')}"


# The checks of these milestones plot (plot_losses): their worker preloads plotting, about a
# second of start-up, and the other milestones' worker starts without it. Both start at once.
# Which milestone that is, specs/contract.json says.
PLOTTING_MILESTONES = frozenset(m for _, name, m in spec.contract_names() if name.endswith("plot_losses"))


def worker_kind(milestone: str) -> str:
    """Which of a grading run's workers serves the checks of this milestone."""
    return "plotting" if milestone in PLOTTING_MILESTONES else "plain"


class Sandbox:
    """One submission's worker, restarted whenever it times out, crashes or talks garbage."""

    def __init__(self, submission, limits: Limits | None = None, layout=None, plotting: bool = True):
        self.limits = limits or Limits()
        self.plotting = plotting  # preload plotting (see PLOTTING_MILESTONES)
        self.submission = submission_files.check_folder(submission)
        self.isolation = isolation.available()  # decided once per grading process
        self.uid = _fresh_uid() if self.isolation.fresh_uid else None
        self.rundir = Path(tempfile.mkdtemp(prefix="micrograde-run-"))
        os.chmod(self.rundir, 0o711)
        self.copy = self.rundir / "submission"
        submission_files.copy(self.submission, self.copy)
        # Where each contract name is (static discovery; nothing of the submission runs here).
        self.layout = layout if layout is not None else discover_layout(self.submission)
        for rel, text in self.layout.generated.items():  # notebooks' definitions, as modules
            target = self.copy / rel
            if target.parent.is_dir() and not target.is_symlink() and not target.is_dir():
                target.write_text(text)  # discovery chose a name the submission does not use
        self.scratch = self.rundir / "scratch"
        self.scratch.mkdir()
        # The fonts an earlier plotting worker found, so that this one need not look (fonts.py).
        self.fonts = fonts.give(self.scratch / fonts.FOLDER) if plotting else None
        if self.uid is not None:
            _chown_tree(self.copy, self.uid)
            _chown_tree(self.scratch, self.uid)
            os.chmod(self.copy, 0o700)
            os.chmod(self.scratch, 0o700)
        self.output = OutputLog(self.limits.output_kb * 1024)
        self.deadline = time.monotonic() + self.limits.run_timeout_s
        self.poisoned: dict[str, str] = {}
        # Methods switched off because they hang, each with the pointer its dependants report.
        self.disabled: dict[str, dict] = {}
        self.proc = None
        self.cpu = None  # the CPU it shares with the grading process (affinity.py), once its checks run
        self.ready = False
        self.restarts = 0
        self.seq = 0
        self.watchdog = None
        # One limit for the worker and all its processes: its own cgroup where one can be made.
        self.group = cgroup.create(self.limits)
        self.enforcement = enforcement(self.isolation, self.group is not None)
        processes.become_subreaper()

    # -- lifecycle -------------------------------------------------------------------------
    def _config(self) -> dict:
        return {
            "submission": str(self.copy),
            "scratch": str(self.scratch),
            "limits": self.limits.to_dict(),
            "uid": self.uid,
            "minimal_root": self.isolation.minimal_root,
            "root": str(self.rundir / "root"),
            "kit_root": KIT_ROOT,
            "poisoned": self.poisoned,
            "disabled": {name: entry["method"] for name, entry in self.disabled.items()},
            "layout": self.layout.worker_config(),
            "plotting": self.plotting,
            "reply_key": self.reply_key.hex(),  # seals the replies of the worker's own loop
        }

    def start(self) -> None:
        """Start the worker without waiting for it: its start-up overlaps the grader's own.

        Call from the main thread (the worker dies with the thread that started it).
        """
        if self.proc is None:
            self._spawn()

    def _start(self) -> None:
        if self.proc is None:
            self._spawn()
        self._await_ready()

    def _spawn(self) -> None:
        env = worker_environment(self.scratch)
        with processes.SPAWN_LOCK:
            # A batch's template of this kind forks it (forkserver.py), ready to read its
            # configuration as a spawned one is; without one, or no answer, it is spawned.
            self.proc = forkserver.fork_worker("plotting" if self.plotting else "plain", env, str(self.scratch),
                                               worker_tag(self.submission))
            # stderr is the pipe of everything the submission prints (stdout joins it in
            # the worker); the protocol has stdin and stdout to itself.
            self.proc = self.proc or subprocess.Popen(
                [*children.python(WORKER_MAIN, dont_write_bytecode=True), worker_tag(self.submission)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=self.scratch, env=env, **facilities.new_group(),
            )
            processes.PROTECTED.add(self.proc.pid)
        if self.cpu is not None:  # a restart: before it reads its configuration, so its processes inherit it
            affinity.pin([self.proc.pid], self.cpu)
        # Windows: the worker and all it starts in one job (limits, killed with us), before it
        # reads its configuration and so before any submission code runs.
        facilities.contain(self.proc.pid, self.limits)
        # Linux: in its cgroup, likewise before it has read its configuration.
        if self.group is not None:
            try:
                self.group.add(self.proc.pid)
            except OSError:
                self.group.remove()
                self.group = None
                self.enforcement = enforcement(self.isolation, False)
        self._watch(self.proc.pid)
        self.since = processes.start_time(self.proc.pid)
        self.forged = False
        self.reply_key = secrets.token_bytes(32)
        self.started = time.monotonic()
        self.ready = False
        facilities.enlarge_pipe(self.proc.stderr.fileno(), OUTPUT_PIPE_BYTES)
        self.reader = FrameReader(self.proc.stdout.fileno(), self.proc.stderr.fileno(), self.output.feed)
        try:
            send(self.proc.stdin.fileno(), self._config())
        except BrokenPipeError:
            pass  # it died at once: reading its first frame says so

    def share_cpu(self, cpu: int | None) -> None:
        """Run this worker's processes on `cpu`, the grading process's (affinity.py)."""
        if cpu is None or cpu == self.cpu:
            return
        self.cpu = cpu
        if self.proc is not None:
            affinity.pin(self._members(self.proc.pid), cpu)

    def _members(self, leader: int) -> set:
        """The worker's processes now: its cgroup, its own uid, or (sharing ours) its session."""
        if self.group is not None:
            return self.group.pids()
        if self.uid is not None:
            return set(processes.processes_of_uid(self.uid)) | {leader}
        return session_members(leader)

    def _watch(self, leader: int) -> None:
        group = self.group

        def kill():
            if group is not None:
                group.kill()
            else:
                kill_all(self._members(leader))

        # Its scratch counts as disk where it is no sized tmpfs of its own.
        scratch = None if self.isolation.minimal_root else str(self.scratch)
        uid = self.uid if not self.isolation.minimal_root else None
        self.watchdog = Watchdog(self.limits, lambda: self._members(leader), kill, group, uid, scratch)
        if group is not None or facilities.current().proc:  # it sees processes through /proc
            self.watchdog.start()

    def _await_ready(self) -> None:
        try:
            frame = self.reader.read(self.started + STARTUP_TIMEOUT_S)
            message = message_from_frame(frame)
        except (TimeoutError, EOFError, BrokenPipeError, ProtocolError) as e:
            self._kill()
            raise KitError(f"the grading worker did not start ({type(e).__name__}); "
                           f"its output: {self.output.take()[-2000:]}") from None
        if not isinstance(message, Ready):
            self._kill()
            raise KitError(f"the grading worker could not prepare its sandbox: {frame!r:.500}")
        self.worker_uid = message.uid
        self.ready = True
        if self.fonts is not None:  # prepared, and nothing asked yet: no submission code has run
            fonts.keep(self.scratch / fonts.FOLDER, self.fonts)
            self.fonts = None

    def _kill(self) -> None:
        if self.proc is None:
            return
        self.watchdog.stop()
        processes.PROTECTED.discard(self.proc.pid)
        if self.group is not None:
            self.group.kill()
        processes.kill_everything(self.proc.pid, self.uid, self.since, alive=self.proc.returncode is None)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:  # what it printed before it died is kept for the check that takes it
            self.reader.drain()
        except (OSError, AttributeError):
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr, getattr(self.proc, "status", None)):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self.proc = None
        self.restarts += 1

    def _exit_status(self):
        try:
            return self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    def _why_it_died(self) -> str:
        """How the worker ended, in words: a limit of the whole group first."""
        code = self._exit_status()
        if self.watchdog is not None and self.watchdog.check():
            return f"the worker was stopped: {self.watchdog.reason}"
        return describe_exit(code, self.limits)

    def disable(self, capability: str, method: str, pointer: str) -> None:
        """Switch off a method that hangs (`method`: "engine.Value.tanh"): from now on a probe
        that calls it stops at once, and its check says `pointer` instead of waiting out its
        own timeout. A running worker is restarted to take it."""
        if capability in self.disabled:
            return
        self.disabled[capability] = {"method": method, "pointer": pointer}
        if self.proc is not None:
            self._kill()

    def close(self) -> None:
        self._kill()
        if self.group is not None:
            self.group.remove()
            self.group = None
        if self.uid is not None and not self.isolation.minimal_root:
            # Without its namespaces its files and segments outlive it: everything its uid owns goes.
            sweep.remove_owned(self.uid)
        shutil.rmtree(self.rundir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- probes ----------------------------------------------------------------------------
    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def call(self, probe: str, what: str, timeout: float | None = None, **args):
        """Run one probe; return its plain-data answer or raise what went wrong, in words."""
        left = self.time_left()
        if left <= 0:
            raise ProbeTimeout(f"{what} was not checked: the whole grading run exceeded its "
                               f"{self.limits.run_timeout_s:g} s limit")
        timeout = min(timeout or self.limits.probe_timeout_s, left)
        if self.proc is None or not self.ready:
            self._start()
        deadline = time.monotonic() + timeout
        importing = None
        try:
            self._unasked()
            self.seq += 1
            send(self.proc.stdin.fileno(), {**Request(probe, args).to_frame(), SEQ: self.seq})
            while True:
                frame = self.reader.read(deadline, ANSWER_BYTES)
                message = self._message(frame, what)
                if isinstance(message, Importing):
                    importing = message.module
                elif isinstance(message, Imported):
                    importing = None
                else:
                    # A reply from a worker past its limits (one of its processes killed for
                    # memory) does not count: the worker is killed as a unit.
                    if self.watchdog.check():
                        self._kill()
                        raise WorkerCrashed(f"{what} crashed: the worker was stopped: {self.watchdog.reason}")
                    self._check_envelope(frame, what)
                    self._refusals(frame, what)
                    return self._result(message, what)
        except TimeoutError:
            self._kill()
            if importing:
                shown = self.layout.label(importing)  # the student's file, never a generated module
                self.poisoned[importing] = f"importing {shown} did not finish within {timeout:g} s"
                raise ProbeTimeout(f"{what} was not checked: importing {shown} did not finish "
                                   f"within {timeout:g} s") from None
            raise ProbeTimeout(f"{what} did not return within {timeout:g} s") from None
        except (EOFError, BrokenPipeError):
            status = self._why_it_died()
            self._kill()
            if importing:
                self.poisoned[importing] = f"importing {self.layout.label(importing)} crashed the worker: {status}"
            raise WorkerCrashed(f"{what} crashed: {status}") from None
        except ProtocolError as e:
            self._kill()
            raise WorkerCrashed(f"{what}: the worker's answer was not plain data ({e})") from None

    # -- runtime evidence of a takeover (worker/watch.py) ------------------------------------
    def _evidence(self, detail: str) -> None:
        # Imported here: this module is loaded in the worker too, which needs none of it.
        from .. import integrity

        integrity.record("worker_tampering", detail)

    def _unasked(self) -> None:
        """Frames waiting before we ask anything were sent by no loop of ours."""
        self.reader.drain()
        waiting = len(self.reader.buffer) + facilities.pipe_bytes(self.proc.stdout.fileno())
        if waiting:
            self._evidence(f"the worker sent {waiting} bytes of protocol frames nobody asked for")
            self.reader.skip_waiting()

    def _check_envelope(self, frame: dict, what: str) -> None:
        if not hmac.compare_digest(str(frame.get(SEAL)), seal(self.reply_key, self.seq)):
            # Written to the protocol by code other than the worker's loop (the submission's):
            # not believed, and the worker that let it happen is not asked again.
            self._evidence(f"the answer to {what} was not sealed by the worker's request loop: other code "
                           "wrote it to the protocol")
            self._kill()
            raise WorkerCrashed(f"{what}: the answer did not come from the grading worker's own loop "
                                "(the submission wrote to the protocol)")
        if frame.get(SEQ) != self.seq and not self.forged:
            self.forged = True  # said once per worker: every later answer would repeat it
            self._evidence(f"answers did not come from the worker's request loop, from the answer to {what} "
                           "on (it did not echo the request's number)")
        changes = frame.get(TAMPERING)
        for change in changes if isinstance(changes, list) else []:
            self._evidence(f"during {what}: {change}")

    def _refusals(self, frame: dict, what: str) -> None:
        """What the worker's audit hook refused during this probe (worker/audit.py): a
        finding each, at the submission's file and line, and the check fails closed,
        whatever the submission did with the exception."""
        refused = frame.get(REFUSED)
        if not isinstance(refused, dict):
            return
        entries = refused.get("logged")
        entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        count = refused.get("count") if isinstance(refused.get("count"), int) else len(entries)
        from .. import integrity

        places = []
        for entry in entries[:20]:
            event, rule = cap(str(entry.get("event")), 120), cap(str(entry.get("rule")), 40)
            file = entry.get("file") if isinstance(entry.get("file"), str) else None
            line = entry.get("line") if isinstance(entry.get("line"), int) else None
            integrity.record("refused_in_worker", f"during {what}: {event} ({rule})", file, line)
            places.append(f"{event} at {file}, line {line}" if file else event)
        if not places:
            integrity.record("refused_in_worker", f"during {what}: {count} more refused operations")
        raise SubmissionError("RefusedByGrader", f"{what}: the grading worker refused {count} operation(s) the "
                              "submission tried, which reach past its own objects"
                              + (": " + "; ".join(places[:3]) if places else ""), [])

    def _message(self, frame, what: str):
        """The event or reply in a frame from the worker, every string in it capped."""
        if not isinstance(frame, dict):
            raise ProtocolError("an answer that is not an object")
        try:
            return message_from_frame(capped(frame) if needs_capping(self.reader.last) else frame)
        except RecursionError:
            self._kill()
            raise WorkerCrashed(f"{what}: the worker's answer was nested too deeply to be plain data") from None
        except ProtocolError:
            return None  # a reply of no known type: _result says so

    def _result(self, reply, what: str):
        """The value of an `Answer`; any other reply raised as what went wrong, in words."""
        if isinstance(reply, Answer):
            return reply.value
        if isinstance(reply, NameMissing):
            raise MissingName(f"{reply.name} is missing{': ' + reply.detail if reply.detail else ''}")
        if isinstance(reply, NotImplementedYet):
            raise MissingName(f"{what}: not implemented yet ({reply.error.message or 'NotImplementedError'})")
        if isinstance(reply, KitFault):
            raise KitError(reply.message)
        if isinstance(reply, CapabilityOff) and reply.capability in self.disabled:
            raise NotGradedSeparately(f"{what}: {self.disabled[reply.capability]['pointer']}")
        if isinstance(reply, Raised):
            # A class name is an identifier: a long one is an attack on the report, not a name.
            raise SubmissionError(cap(reply.error.type, TYPE_NAME_CAP), reply.error.message,
                                  reply.error.traceback[-TRACEBACK_LINES:])
        self._kill()
        raise WorkerCrashed(f"{what}: the worker gave an answer the grader does not understand")

    def take_output(self) -> str:
        return self.output.take()
