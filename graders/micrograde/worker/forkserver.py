"""Template workers: a batch's job slot forks each worker from a process that has already
done a worker's preparation (worker/main.py `_preload`: the preloaded modules, matplotlib
for the plotting kind, the warm-ups, the probes), instead of starting an interpreter.

The template is started by the batch (batch/template.py) exactly as a worker is: the same
interpreter flags (`children.python`), the same minimal environment. It prepares, then
only waits: it never runs submission code, never reads a configuration, a seed, a
submission or an expected value. Asked for a worker, it forks; the fork takes the pipes it
was sent as its 0/1/2, closes every other descriptor, and continues exactly as a fresh
worker does (`main.run`: reads its configuration, isolates, serves probes). Every worker
is a fork of the untouched template, so nothing of one submission reaches the next.

How a grading reaches it: a SOCK_SEQPACKET socket pair per template; the template holds
one end (its stdin), the batch's grading template and its forks the other, by the number
in MICROGRADE_WORKER_TEMPLATE. Workers never hold it (spawned ones by close_fds, forked
ones close everything but 0/1/2 first thing), and the template refuses any request whose
sender (SCM_CREDENTIALS, filled in by the kernel) is not of its own uid: a worker, which
runs as a uid of its own, cannot ask for a worker even if it found the socket.

One request: a JSON object {"env", "cwd", "tag"} with four descriptors (SCM_RIGHTS): the
worker's stdin, stdout, stderr and a status pipe. On the status pipe the template writes
"pid N", and when it has reaped the worker "exit CODE" (negative: the signal), then
closes it. If the grading closes its end first (it died), the template kills the worker's
session; when the control socket ends (the batch ended), every worker left; it dies with
the batch too (prctl PDEATHSIG).

This module runs in the template and the grader: standard library and the platform layer.
"""
import array
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from .. import children
from . import facilities, processes

ENV = children.WORKER_TEMPLATES
KINDS = ("plain", "plotting")
TAG = re.compile(r"micrograde-worker-[0-9a-f]{16}")
# The template's own tag: as long as a worker's, so that a fork can write its own tag over
# it (/proc/PID/cmdline shows the template's command line to a fork).
PLACEHOLDER = "micrograde-worker-" + "template" * 2
PIPES = 4  # stdin, stdout, stderr, status
REQUEST_BYTES = 64 * 1024
FORK_TIMEOUT_S = 10.0  # the template may still be preparing, on a loaded machine
# How often the template looks for orphans it adopted, besides whenever a child of it ends.
ORPHANS_S = 5.0


def boot(kind: str) -> str:
    """The template's `-c` statement. It names the worker's main module, as a worker's
    command line does (the module its forks run)."""
    return f"import micrograde.worker.main; from micrograde.worker.forkserver import template; template({kind!r})"


# -- the template ------------------------------------------------------------------------------
def template(kind: str) -> None:
    """A template worker of this kind: prepare as a worker does, then fork workers on
    request; never returns. Its stdin is its control socket."""
    from . import main

    control = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # Before anything else: a request that comes while we prepare is read after, its sender known.
    sock = socket.socket(fileno=control)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    processes.die_with_parent()
    # What matplotlib writes while it prepares (its caches) goes to a home of our own, removed
    # once prepared: the forks never find it (their home is their scratch), and a batch
    # killed outright leaves nothing of it.
    home = tempfile.mkdtemp(prefix="micrograde-template-")
    os.environ["HOME"] = os.environ["USERPROFILE"] = home
    try:
        main._preload(kind == "plotting")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    serve(sock)


def serve(sock) -> None:
    """The template's loop, once prepared: fork a worker per request, report how each ended."""
    processes.become_subreaper()  # a worker's orphans come here, and are killed
    # Every child that ends wakes the loop, an adopted one too (a worker's process in its PID
    # namespace outlives the worker's stand-in by a moment): reaped at once, since a grading
    # kills a worker's process group until none of it is left, zombies included.
    woken, wake = os.pipe()
    for fd in (woken, wake):
        os.set_blocking(fd, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake)
    workers = {}  # pid -> its status pipe (our end)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    poller.register(woken, select.POLLIN)
    while True:
        events = poller.poll(ORPHANS_S * 1000)
        for fd, _ in events:
            if fd == sock.fileno():
                if not _serve_one(sock, workers, poller):
                    _kill_all(workers)
                    os._exit(0)
            elif fd == woken:
                try:
                    while os.read(woken, 512):
                        pass
                except BlockingIOError:
                    pass
            else:  # the grading closed its end of a status pipe: it is gone, its worker goes too
                poller.unregister(fd)
                for pid, status in list(workers.items()):
                    if fd == status:
                        _kill_worker(pid)
        if not events or any(fd != sock.fileno() for fd, _ in events):
            _reap(workers, poller)


def _serve_one(sock, workers, poller) -> bool:
    """Take one request; False when the control socket has ended."""
    fds = []
    try:
        data, ancillary, _, _ = sock.recvmsg(REQUEST_BYTES, socket.CMSG_SPACE(PIPES * 4)
                                             + socket.CMSG_SPACE(struct.calcsize("3i")))
    except InterruptedError:
        return True
    if not data and not ancillary:
        return False
    sender = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += array.array("i", payload[:len(payload) - len(payload) % 4])
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            sender = struct.unpack("3i", payload[:12])  # pid, uid, gid
    try:
        request = _request(data, fds, sender)
        if request is None or _reader_gone(fds[3]):
            return True
        pid = _fork(request, fds)
        workers[pid] = status = fds.pop()
        poller.register(status, select.POLLERR)
        os.write(status, f"pid {pid}\n".encode())  # a grading already gone: its POLLERR kills the worker
        return True
    except OSError:
        return True
    finally:
        for fd in fds:
            os.close(fd)


def _request(data: bytes, fds: list, sender):
    """The request, or None when it is not one this template serves."""
    if sender is None or sender[1] != os.getuid() or len(fds) != PIPES:
        return None  # not of our uid (a worker's), or not four pipes
    try:
        request = json.loads(data)
        env, cwd, tag = request["env"], request["cwd"], request["tag"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
            and isinstance(cwd, str) and isinstance(tag, str) and TAG.fullmatch(tag)):
        return None
    return request


def _reader_gone(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLERR)
    return bool(poller.poll(0))


def _fork(request, fds) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:  # the fork: from here on, a fresh worker (main.run) and nothing else
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        facilities.new_session()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv[:] = ["-c", request["tag"]]
        _retitle(request["tag"])
        _reseed()
        from .main import run

        run()
    finally:
        os._exit(70)


def _retitle(tag: str) -> None:
    """Write the worker's tag over the template's in this process's command line, as a
    spawned worker's shows it (what tests and instructors tell workers apart by)."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            cmdline = f.read()
        at = cmdline.rfind(PLACEHOLDER.encode())
        with open("/proc/self/stat") as f:
            stat = f.read()
        arg_start = int(stat[stat.rindex(")") + 2:].split()[45])  # field 48 of proc(5)
        if at >= 0 and len(tag) == len(PLACEHOLDER):
            with open("/proc/self/mem", "r+b", buffering=0) as mem:
                mem.seek(arg_start + at)
                mem.write(tag.encode())
    except (OSError, ValueError, IndexError):
        pass  # the command line keeps the template's tag


def _reseed() -> None:
    """Draws the template made are not every worker's: numpy's global generator, like a
    spawned worker's, is seeded afresh (Python's `random` reseeds itself at fork)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            numpy.random.seed()
        except Exception:
            pass


def _reap(workers, poller) -> None:
    """Report every worker that ended; kill every other child (an orphan a worker left)."""
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if not pid:
            break
        if pid not in workers:
            continue
        status = workers.pop(pid)
        try:
            os.write(status, f"exit {os.waitstatus_to_exitcode(code)}\n".encode())
        except OSError:
            pass
        try:
            poller.unregister(status)
        except KeyError:
            pass
        os.close(status)
    for pid in set(processes.adopted_children(0)) - set(workers):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _kill_worker(pid: int) -> None:
    """The worker's session, and its own uid's processes where it runs as one."""
    uid = _uid_of(pid)
    facilities.kill_group(pid)
    if uid is not None and uid != os.getuid():
        processes.kill_uid(uid)


def _uid_of(pid: int):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _kill_all(workers) -> None:
    for pid in list(workers):
        _kill_worker(pid)
    deadline = time.monotonic() + 5
    while workers and time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        workers.pop(pid, None)


# -- the batch's side: starting a template -------------------------------------------------------
class Template:
    """One template worker of one kind, with the socket a grading asks it on."""

    def __init__(self, kind: str, env: dict):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.kind = kind
        self.client = theirs
        with processes.SPAWN_LOCK:
            self.proc = subprocess.Popen([*children.python(boot(kind), dont_write_bytecode=True), PLACEHOLDER],
                                         stdin=ours, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         cwd="/", env=env, **facilities.new_group())
        ours.close()

    def close(self) -> None:
        """End it: its control socket closes here (and in every grading that held it)."""
        self.client.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def available() -> bool:
    offered = facilities.current()
    return (facilities.LINUX and offered.fork and offered.sessions and offered.proc and offered.prctl
            and hasattr(os, "waitstatus_to_exitcode") and hasattr(socket, "SCM_CREDENTIALS"))


# -- the grading's side: asking for a worker ---------------------------------------------------
_CONTROL: dict = {}


def _control(kind: str):
    """This process's socket to the `kind` template, or None (no template, or not a socket)."""
    named = os.environ.get(ENV, "")
    if (kind, named) in _CONTROL:
        return _CONTROL[kind, named]
    sock = None
    try:
        fds = dict(part.split(":") for part in named.split(",") if part)
        fd = int(fds[kind])
        import stat

        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            candidate = socket.socket(fileno=os.dup(fd))
            if candidate.family == socket.AF_UNIX and candidate.type == socket.SOCK_SEQPACKET:
                candidate.set_inheritable(False)
                # Our credentials go with each request, even one sent before the template is ready to read them.
                candidate.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
                sock = candidate
            else:
                candidate.close()
    except (KeyError, ValueError, OSError):
        sock = None
    _CONTROL[kind, named] = sock
    return sock


def fork_worker(kind: str, env: dict, cwd: str, tag: str):
    """A worker forked from this grading's `kind` template, as a Popen-like `Forked`; None when
    there is no template or it does not answer (the caller then starts one itself)."""
    if not available():
        return None
    sock = _control(kind)
    if sock is None:
        return None
    pipes = [os.pipe() for _ in range(PIPES)]  # (read, write) each; not inheritable
    theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
    ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
    try:
        sock.settimeout(2)
        sock.sendmsg([json.dumps({"env": env, "cwd": str(cwd), "tag": tag}).encode()],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", theirs))])
    except OSError:
        for fd in theirs + ours:
            os.close(fd)
        _CONTROL[kind, os.environ.get(ENV, "")] = None  # gone: spawn from now on
        return None
    for fd in theirs:
        os.close(fd)
    status = os.fdopen(ours[3], "rb", buffering=0)
    line = _read_line(status, time.monotonic() + FORK_TIMEOUT_S)
    if not line or not line.startswith(b"pid ") or not line[4:].strip().isdigit():
        status.close()  # if it forks after all, the template kills that worker at once
        for fd in ours[:3]:
            os.close(fd)
        return None
    return Forked(int(line.split()[1]), os.fdopen(ours[0], "wb"), os.fdopen(ours[1], "rb"),
                  os.fdopen(ours[2], "rb"), status)


def _read_line(stream, deadline):
    """One line of a status pipe, byte by byte (the next line is not ours yet); what came
    before its end (b"" at once); None at the deadline."""
    data = b""
    while not data.endswith(b"\n"):
        if not select.select([stream], [], [], max(deadline - time.monotonic(), 0))[0]:
            return None
        byte = stream.read(1)
        if not byte:
            return data
        data += byte
    return data


class Forked:
    """A forked worker, with the part of Popen's interface the Sandbox uses. It is the
    template's child, not ours: its exit status comes on its status pipe."""

    def __init__(self, pid, stdin, stdout, stderr, status):
        self.pid, self.stdin, self.stdout, self.stderr, self.status = pid, stdin, stdout, stderr, status
        self.returncode = None
        self.args = "micrograde worker (forked)"

    def poll(self):
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def wait(self, timeout=None):
        if self.returncode is not None:
            return self.returncode
        line = _read_line(self.status, time.monotonic() + (1e9 if timeout is None else timeout))
        if line is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        if line.startswith(b"exit ") and line[5:].strip().lstrip(b"-").isdigit():
            self.returncode = int(line.split()[1])
        else:  # the template ended before it could say: its workers die with it (SIGKILL)
            self.returncode = -signal.SIGKILL
        self.close()
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Let the status pipe go (its template kills a worker still running when it does)."""
        try:
            self.status.close()
        except OSError:
            pass
