"""The one place that knows what this machine offers for running and containing a worker.

Every other module asks here and never assumes: prctl (parent-death signal, child
subreaper), namespaces, mounts and pivot_root, a uid of the worker's own, resource limits
(which ones the platform honours), /proc, cgroups, process sessions and groups, fork,
Windows job objects, select() on pipes. Linux as root has them all; a student's laptop
has part of them, and the run uses what there is (a new session or process group, a job,
deadlines kept by the parent, memory limits where honoured) and says so once (`REDUCED`).

Everything is probed, not inferred from the system's name alone: a C library without
`prctl` (macOS: dlsym fails, ctypes raises AttributeError) is a missing facility, not a
crash; Windows has no `resource`, `fcntl`, `os.killpg` nor `ctypes.CDLL(None)`, so none is
imported at module level here or in any module the student flow imports.

MICROGRADE_PLATFORM=portable makes the layer report every facility beyond the portable
core absent (what Windows offers), in the grader and in its workers alike: the path
students on other systems take runs, and is tested, on Linux too.
"""
import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

ENV = "MICROGRADE_PLATFORM"
PORTABLE = "portable"
REDUCED = "local run: reduced isolation on this system; the official grade runs isolated"
WINDOWS = sys.platform == "win32"
LINUX = sys.platform.startswith("linux")
# The resource limits a worker gets, by platform: only those the kernel enforces. macOS
# accepts RLIMIT_AS but does not enforce it; RLIMIT_NPROC counts every process of the
# user, so its base is counted in /proc (Linux only).
LINUX_RLIMITS = ("AS", "CPU", "FSIZE", "NOFILE", "NPROC", "CORE")
OTHER_POSIX_RLIMITS = ("CPU", "FSIZE", "NOFILE", "CORE")
# What a Windows interpreter cannot start without (hash randomisation, sockets, temp files).
WINDOWS_ENVIRONMENT = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT")
ERROR_BROKEN_PIPE = 109
# Polling a pipe where select() cannot wait on it (wait_readable).
POLL_FIRST_S, POLL_SOON_S, POLL_SOON_FOR_S, POLL_LATER_S = 0.00005, 0.0005, 0.05, 0.005


@dataclass(frozen=True)
class Facilities:
    """What this process may use. Each field is a fact probed on this machine."""

    forced_portable: bool  # MICROGRADE_PLATFORM=portable
    root: bool  # the effective uid is 0
    prctl: bool  # Linux prctl: parent-death signal, child subreaper
    namespaces: bool  # unshare, mount, umount2, pivot_root in the C library (root decides the rest)
    setuid: bool  # root, with setresuid/setgroups and a /proc to find a uid's processes
    proc: bool  # /proc with every process's stat and status
    # The kernel's control groups can be asked (Linux: /proc/self/cgroup, mountinfo, /sys/fs/cgroup);
    # whether one may be created beneath ours, and which version, is the cgroup module's question.
    cgroups: bool
    sessions: bool  # new sessions (setsid) and killing a whole process group (killpg)
    fork: bool
    rlimits: tuple  # names (without RLIMIT_) of the resource limits applied to a worker
    jobs: bool  # Windows job objects: one memory, CPU and process limit for a worker's tree, killed with us
    select_pipes: bool  # select() waits on pipes (not on Windows: there the parent polls)
    pipe_size: bool  # the pipe's buffer can be enlarged (Linux F_SETPIPE_SZ)
    affinity: bool  # a process's CPUs can be chosen (Linux sched_setaffinity), and /proc says which one it runs on

    def missing(self) -> list[str]:
        """What the isolated path (Linux as root) uses that this machine or user lacks, in words.
        Whether the kernel then allows namespaces is isolation.available()'s question."""
        lacks = [] if self.root and self.namespaces and self.setuid else ["private namespaces and a uid of its own"]
        lacks += [words for offered, words in ((self.prctl, "prctl"), (self.proc, "/proc"),
                                                (self.sessions, "process groups")) if not offered]
        by_job = ("AS", "CPU", "NPROC") if self.jobs else ()
        limits = [name for name in LINUX_RLIMITS if name not in self.rlimits + by_job]
        if limits:
            lacks.append(f"resource limits {'/'.join(limits)}")
        return lacks

    def reduced(self) -> str:
        """The note a run on this machine carries ("" when nothing is missing)."""
        lacks = self.missing()
        return f"{REDUCED} (not available here: {', '.join(lacks)})" if lacks else ""


def forced_portable() -> bool:
    return os.environ.get(ENV, "").strip().lower() == PORTABLE


@functools.cache
def current() -> Facilities:
    """The facilities of this machine, probed once per process."""
    forced = forced_portable()
    root = _is_root()
    proc = not forced and LINUX and os.path.isfile("/proc/self/stat") and os.path.isfile("/proc/self/status")
    return Facilities(
        forced_portable=forced,
        root=root,
        prctl=not forced and LINUX and c_function("prctl") is not None,
        namespaces=not forced and LINUX and all(c_function(n) is not None
                                               for n in ("unshare", "mount", "umount2", "syscall")),
        setuid=not forced and root and proc and all(hasattr(os, n) for n in ("setresuid", "setresgid", "setgroups")),
        proc=proc,
        cgroups=proc and os.path.isfile("/proc/self/cgroup") and os.path.isfile("/proc/self/mountinfo")
        and os.path.isdir("/sys/fs/cgroup"),
        sessions=not forced and hasattr(os, "setsid") and hasattr(os, "killpg"),
        fork=not forced and hasattr(os, "fork"),
        rlimits=() if forced else _rlimits(proc),
        jobs=not forced and WINDOWS,
        select_pipes=not forced and not WINDOWS,
        pipe_size=not forced and LINUX and _importable("fcntl"),
        affinity=proc and hasattr(os, "sched_setaffinity"),
    )


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _importable(name: str) -> bool:
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def _rlimits(proc: bool) -> tuple:
    try:
        import resource
    except ImportError:  # Windows
        return ()
    wanted = LINUX_RLIMITS if LINUX else OTHER_POSIX_RLIMITS
    found = []
    for name in wanted:
        if name == "NPROC" and not proc:
            continue
        try:
            resource.getrlimit(getattr(resource, f"RLIMIT_{name}"))
        except (AttributeError, ValueError, OSError):
            continue
        found.append(name)
    return tuple(found)


# -- the C library ---------------------------------------------------------------------------
@functools.cache
def _c_library():
    """This process's C library through ctypes, or None (Windows, or no C library to load)."""
    if WINDOWS or forced_portable():
        return None
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(None, use_errno=True)  # the symbols this process already has
    except (OSError, TypeError, AttributeError):
        pass
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except (OSError, TypeError, AttributeError):
        return None


def c_function(name: str):
    """A function of the C library, or None where it has none (dlsym failed: AttributeError)."""
    library = _c_library()
    if library is None:
        return None
    try:
        return getattr(library, name)
    except AttributeError:
        return None


def c_call(name: str, *args, what: str = "") -> None:
    """Call a C library function that returns 0 on success; OSError otherwise, or when it is missing."""
    import ctypes

    function = c_function(name)
    if function is None:
        raise OSError(f"{what or name}: this system's C library has no {name}")
    if function(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what or name}: {os.strerror(err)}")


# -- processes ---------------------------------------------------------------------------------
def new_group() -> dict:
    """subprocess.Popen arguments that start a child in a group of its own, so that it and
    what it starts can be stopped together (as far as the platform allows)."""
    if current().sessions:
        return {"start_new_session": True}
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {}


KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # on Windows os.kill with any such signal terminates


def new_session() -> None:
    """In a child just forked by the kit: lead a session (and process group) of its own, so
    that the parent can stop it and everything it starts together."""
    if current().sessions:
        os.setsid()


def kill_group(pid: int) -> bool:
    """Kill the process group led by `pid`; False when there was none (or no such facility)."""
    if not current().sessions:
        return False
    try:
        os.killpg(pid, KILL)
        return True
    except (ProcessLookupError, PermissionError):
        return False


# Windows: the job object of each contained worker, by pid (worker/windows_job.py).
_JOBS: dict = {}


def contain(pid: int, limits) -> bool:
    """Windows: put a just-started worker (it has run none of the submission yet) and all it
    will start in a job with the worker's memory, CPU and process limits, killed with the
    grader. False where there are no jobs or Windows refused one (taskkill /T then)."""
    if not current().jobs:
        return False
    from . import windows_job

    try:
        job = windows_job.contain(pid, limits.memory_mb, limits.cpu_seconds, limits.processes)
    except (OSError, AttributeError, ValueError, TypeError):  # no kernel32, a refused call
        return False
    if job:
        _JOBS[pid] = job
    return bool(job)


def kill_tree(pid: int, alive: bool = True) -> None:
    """Kill a process and, where the platform can find them without groups, its descendants:
    its job (Windows), else taskkill /T and the process itself, only while it is `alive`
    (not yet waited for: after that its pid may be another process's)."""
    job = _JOBS.pop(pid, None)
    if job is not None:  # the job's handle names its processes, whatever became of the pid
        from . import windows_job

        windows_job.terminate(job)
        return
    if not alive:
        return
    if WINDOWS:  # taskkill /T walks the tree the kernel keeps; what it misses dies with the pipes
        try:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(pid)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        os.kill(pid, KILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def uid():
    """This process's uid, None where there are none (Windows)."""
    return os.getuid() if hasattr(os, "getuid") else None


def essential_environment() -> dict:
    """Variables a child interpreter cannot do without on this platform, beyond PATH."""
    if not WINDOWS:
        return {}
    return {name: os.environ[name] for name in WINDOWS_ENVIRONMENT if name in os.environ}


# -- pipes -------------------------------------------------------------------------------------
def pipe_bytes(fd: int) -> int:
    """How many bytes wait to be read in a pipe, now."""
    if WINDOWS:
        return max(_peek(fd), 0)
    import fcntl
    import struct
    import termios

    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def enlarge_pipe(fd: int, size: int) -> None:
    """Give a pipe a larger buffer where the platform allows it (a flood of output costs fewer wake-ups)."""
    if not current().pipe_size:
        return
    import fcntl

    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except OSError:
        pass


def wait_readable(fds: list, timeout: float) -> list:
    """The pipes among `fds` that can be read without blocking (data or end of file), waiting
    at most `timeout` seconds. Without select() on pipes the parent polls them."""
    if current().select_pipes:
        import select

        return select.select(fds, [], [], max(timeout, 0))[0]
    started = time.monotonic()
    end = started + timeout
    pause = 0.0
    while True:
        ready = [fd for fd in fds if _readable_now(fd)]
        now = time.monotonic()
        if ready or now >= end:
            return ready
        time.sleep(min(pause, end - now))
        # Most answers come within a millisecond: poll often at first, then (a training run,
        # a hang) rarely enough to cost nothing.
        pause = min(pause * 2 or POLL_FIRST_S, POLL_SOON_S if now - started < POLL_SOON_FOR_S else POLL_LATER_S)


def read_ready(fd: int, limit: int) -> bytes:
    """Read from a pipe that wait_readable found ready, without blocking: b"" at end of file.
    Where the parent polls, no more than the pipe holds (a read never waits for a write)."""
    if current().select_pipes:
        return os.read(fd, limit)
    waiting = pipe_bytes(fd)
    return os.read(fd, min(limit, waiting) if waiting > 0 else limit)


def _readable_now(fd: int) -> bool:
    if WINDOWS:
        return _peek(fd) != 0
    import select

    return bool(select.select([fd], [], [], 0)[0])


@functools.cache
def _peek_named_pipe():
    import ctypes
    from ctypes import wintypes

    peek = ctypes.WinDLL("kernel32", use_last_error=True).PeekNamedPipe
    peek.argtypes = [wintypes.HANDLE, ctypes.c_void_p, wintypes.DWORD, ctypes.c_void_p,
                     ctypes.POINTER(wintypes.DWORD), ctypes.c_void_p]
    peek.restype = wintypes.BOOL
    return peek


def _peek(fd: int) -> int:
    """Bytes waiting in a Windows pipe; -1 once its writer has closed it (a read returns EOF)."""
    import ctypes
    import msvcrt
    from ctypes import wintypes

    available = wintypes.DWORD(0)
    if not _peek_named_pipe()(msvcrt.get_osfhandle(fd), None, 0, None, ctypes.byref(available), None):
        error = ctypes.get_last_error()
        if error == ERROR_BROKEN_PIPE:
            return -1
        raise OSError(error, f"PeekNamedPipe: error {error}")
    return available.value
