"""Processes: dying with the grader, and finding and killing every process a worker left."""
import os
import signal
import threading
import time

from .libc import check, libc

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphaned descendants of our workers are re-parented to us, so none can slip away."""
    check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")


def die_with_parent() -> None:
    # Must come after setuid: changing credentials clears the parent-death signal.
    check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() == 1:
        os._exit(70)


def stand_in_for(child: int) -> None:
    """Wait for the worker and end as it ended; never return.

    The process the grader started stays outside the worker's PID namespace, as root;
    the worker is its child, process 1 of that namespace. The grader reads the worker's
    exit status or signal as this process's own.
    """
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a mirrored SIGSEGV leaves no core file
    try:
        check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
        os.closerange(0, resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # the pipes are the worker's alone
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)
    finally:
        os._exit(70)


def user_process_count(uid: int) -> int:
    return sum(1 for _ in processes_of_uid(uid))


def _proc_pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def processes_of_uid(uid: int):
    for pid in _proc_pids():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            yield pid
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue


def _stat(pid: int):
    """(ppid, starttime) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19])


def start_time(pid: int) -> int:
    stat = _stat(pid)
    return stat[1] if stat else 0


def adopted_children(since: int):
    """Our children that started at or after `since` (clock ticks): orphans of our workers."""
    me = os.getpid()
    for pid in _proc_pids():
        stat = _stat(pid)
        if stat and stat[0] == me and stat[1] >= since:
            yield pid


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# Our own children that a concurrent run in this process still needs: never swept up.
PROTECTED: set[int] = set()
# Held while a child is spawned and registered, so a sweep never sees it unregistered.
SPAWN_LOCK = threading.Lock()


def kill_everything(pgid: int, uid: int | None, since: int, rounds: int = 200) -> None:
    """Kill a worker's process group, every process of its uid, and every adopted orphan.

    A fork loop can create processes while we kill: repeat until a pass finds none.
    Children in PROTECTED (another run's worker or grading process) are left alone.
    """
    for _ in range(rounds):
        found = False
        try:
            os.killpg(pgid, signal.SIGKILL)
            found = True
        except (ProcessLookupError, PermissionError):
            pass
        with SPAWN_LOCK:
            victims = set(adopted_children(since)) - (PROTECTED - {pgid})
        if uid is not None:
            victims.update(processes_of_uid(uid))
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                found = True
            except ProcessLookupError:
                pass
            _reap(pid)
        if not found and not victims:
            return
        time.sleep(0.005)
