"""The grader's watch over one worker and all its processes together.

Per-process limits (rlimits) multiply with the number of processes; this thread holds the
worker's limits for the group. With a cgroup (worker/cgroup.py) the kernel holds memory
and processes, and the watchdog adds CPU time (cgroups only count it) and, where the
worker has no capped tmpfs of its own, disk. Without one it sums the members itself:
memory as PSS (/proc/PID/smaps_rollup, shared pages split between sharers) plus what
they keep in shared-memory tmpfs and SysV segments, the process count and CPU time.
Past a limit it kills the whole worker at once and says which limit, in words.
"""
import os
import signal
import threading

from . import sweep

POLL_S = 0.2
MB = 1024 * 1024


def _stat_fields(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0




class Watchdog:
    """Watches a worker until `stop()`; `reason` says why it killed it ("" if it did not).

    `members()` lists the worker's processes now; `kill()` kills all of them; `group` is
    its cgroup or None; `uid` its own uid (None when it shares ours: then its files and
    segments cannot be told from the grader's, and only its scratch counts); `scratch`
    its writable folder when that is not a capped tmpfs (None when it is)."""

    def __init__(self, limits, members, kill, group=None, uid=None, scratch=None):
        self.limits, self.members, self._kill, self.group = limits, members, kill, group
        self.uid, self.scratch = uid, scratch
        self.reason = ""
        self.cpu: dict[tuple, float] = {}  # (pid, start time) -> CPU seconds last seen
        # A group outlives a worker that is restarted: each one has its own CPU time and kills.
        self.cpu_base = (group.cpu_seconds() or 0.0) if group is not None else 0.0
        self.oom_base = group.oom_kills() if group is not None else 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="micrograde-watchdog", daemon=True)

    def start(self) -> "Watchdog":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            self.check(self.over)

    def check(self, test=None) -> str:
        """Kill the worker if it is past a limit (the kernel's kill of one of its processes
        included); return why it was killed, now or before ("" if it was not)."""
        if not self.reason:
            try:
                reason = (test or self.oom)()
            except Exception:  # a process vanished mid-read and the like: look again later
                reason = ""
            if reason:
                self.reason = reason
                self._kill()
                self.cpu.clear()
        return self.reason

    def oom(self) -> str:
        """The kernel killed a process of the group for memory: the whole worker goes."""
        if self.group is not None and self.group.oom_kills() > self.oom_base:
            return (f"it used more than its memory limit of {self.limits.memory_mb} MB "
                    "(all its processes together)")
        return ""

    # -- what the worker uses, all its processes together ---------------------------------
    def _cpu_seconds(self, pids) -> float:
        if self.group is not None:
            used = self.group.cpu_seconds()
            if used is not None:
                return used - self.cpu_base
        for pid in pids:
            fields = _stat_fields(pid)
            if fields:
                self.cpu[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return sum(self.cpu.values())  # processes that ended keep what they used

    def _memory_bytes(self, pids) -> int:
        used = sum(_pss_bytes(pid) for pid in pids)
        if self.uid is not None:
            used += sweep.shared_memory_bytes(self.uid)
        return used

    def _disk_bytes(self) -> int:
        used = sweep.folder_bytes(self.scratch) if self.scratch else 0
        if self.uid is not None:
            used += sweep.owned_bytes(self.uid)
        return used

    def over(self) -> str:
        """Which limit the worker is past now, in words ("" when none)."""
        pids = self.members()
        limits = self.limits
        if self.oom():
            return self.oom()
        if self._cpu_seconds(pids) > limits.cpu_seconds:
            return f"it used up its CPU time limit of {limits.cpu_seconds} s (all its processes together)"
        if self.group is None:
            if len(pids) > limits.processes:
                return f"it ran more than {limits.processes} processes at once"
            if self._memory_bytes(pids) > limits.memory_mb * MB:
                return f"it used more than its memory limit of {limits.memory_mb} MB (all its processes together)"
        if (self.scratch or self.uid is not None) and self._disk_bytes() > limits.disk_mb * MB:
            return f"it wrote more than its disk limit of {limits.disk_mb} MB (all its files together)"
        return ""


def session_members(leader: int) -> set:
    """Processes of the session `leader` started (the worker's, when it shares our uid)."""
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields and fields[3] == str(leader):
                found.add(int(name))
    return found


def kill_all(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
