"""One CPU for the grading process and the worker its checks are asking (Linux).

A check is a ping-pong: the grader sends a probe and waits, the worker answers and waits.
When the two run on different CPUs, every request and every answer wakes a CPU that has
gone idle, and on a virtual machine (a CI runner, an autograder's container) that wake-up
costs more than the probe: a random program's round trip took 1.5 ms across two vCPUs and
0.65 ms with both processes on one (2 vCPUs, 2026-12-03). So, from its first check on,
the grading process stays on the CPU it is running on, and so does the worker of the
current checks; the other worker (the plotting one, preparing meanwhile) runs anywhere
else until its checks come. Only where the machine offers it (facilities.py: Linux, not
the portable path) and the process may run on two CPUs or more.

A batch grades several submissions side by side and leaves their placement to the system:
it sets `ENV` to 0 for its gradings, and so may anyone who wants the same.
"""
import os

from . import facilities

ENV = "MICROGRADE_PIN_CPU"


def _allowed() -> set:
    try:
        return os.sched_getaffinity(0)
    except OSError:
        return set()


def _current_cpu() -> int | None:
    """The CPU this process last ran on (/proc/self/stat, field 39)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        return int(fields[36])
    except (OSError, ValueError, IndexError):
        return None


def settle() -> int | None:
    """Keep this process on the CPU it runs on now; that CPU, or None where nothing is pinned."""
    if not facilities.current().affinity or os.environ.get(ENV, "1").strip() == "0":
        return None
    allowed, cpu = _allowed(), _current_cpu()
    if len(allowed) < 2 or cpu not in allowed:
        return None
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return None
    return cpu


def pin(pids, cpu: int) -> None:
    """Put these processes on `cpu` (their later children inherit it); one that has ended
    meanwhile, or refuses, is left as it is."""
    for pid in pids:
        try:
            os.sched_setaffinity(pid, {cpu})
        except OSError:
            pass


def left_to_the_system(env: dict) -> dict:
    """`env` for a grading that runs beside others (a batch's): nothing pinned."""
    return {**env, ENV: "0"}
