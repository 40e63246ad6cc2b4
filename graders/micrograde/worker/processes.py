"""Processes: dying with the grader, and finding and killing every process a worker left.

Each facility used here (prctl, /proc, process groups) is asked of `facilities`; where one
is missing, what the platform has is used instead, and the run's note says so.
"""
import os
import signal
import threading
import time

from . import facilities

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphaned descendants of our workers are re-parented to us, so none can slip away.
    False where the system cannot (no prctl, or it refused): orphans then go to init."""
    if not facilities.current().prctl:
        return False
    try:
        facilities.c_call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0, what="prctl(PR_SET_CHILD_SUBREAPER)")
        return True
    except OSError:
        return False


def die_with_parent() -> None:
    """The worker is killed when the grader dies. Without prctl, a worker between probes
    still ends when its request pipe closes (worker/main.py); a running probe ends at its
    CPU limit where there is one."""
    if not facilities.current().prctl:
        return
    # Must come after setuid: changing credentials clears the parent-death signal.
    facilities.c_call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0, what="prctl(PR_SET_PDEATHSIG)")
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
        facilities.c_call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0, what="prctl(PR_SET_PDEATHSIG)")
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


def kill_all(victims, rounds: int = 200, reap: bool = True) -> None:
    """SIGKILL every pid `victims()` lists, again until it lists none: a process may fork
    while we kill. `reap=False` leaves our own children's exit status to their Popen."""
    for _ in range(rounds):
        found = list(victims())
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if reap:
                _reap(pid)
        time.sleep(0.005)


def kill_uid(uid: int, rounds: int = 200) -> None:
    """Kill every process of `uid` (a worker's own), also those it forks while we kill."""
    kill_all(lambda: processes_of_uid(uid), rounds)


def _proc_pids():
    """Every process on the machine; none where there is no /proc to list them."""
    if not facilities.current().proc:
        return
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
    """(ppid, starttime) of a process, or None when it is gone (or there is no /proc)."""
    if not facilities.current().proc:
        return None
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


def _free_spawn_lock() -> None:
    # A child forked while the lock was held (children.start_pytest, warm) would wait on
    # it forever: the child starts with a lock of its own, free.
    global SPAWN_LOCK
    SPAWN_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_free_spawn_lock)


def kill_everything(pgid: int, uid: int | None, since: int, rounds: int = 200, alive: bool = True) -> None:
    """Kill a worker's process group, every process of its uid, and every adopted orphan.

    A fork loop can create processes while we kill: repeat until a pass finds none.
    Children in PROTECTED (another run's worker or grading process) are left alone.
    Without process groups (Windows), the worker and the tree the platform knows of it,
    only while it is `alive` (not yet waited for): after that its pid may be another's.
    """
    offered = facilities.current()
    if not offered.sessions:
        facilities.kill_tree(pgid, alive)
    for _ in range(rounds):
        found = facilities.kill_group(pgid)
        if found and not offered.proc:
            _reap(pgid)  # a group of zombies still takes signals: reaped, its leader lets it go
        with SPAWN_LOCK:
            victims = set(adopted_children(since)) - (PROTECTED - {pgid})
        if uid is not None:
            victims.update(processes_of_uid(uid))
        for pid in victims:
            try:
                os.kill(pid, facilities.KILL)
                found = True
            except ProcessLookupError:
                pass
            _reap(pid)
        if not found and not victims:
            return
        time.sleep(0.005)
