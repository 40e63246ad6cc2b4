"""Privileges and resource limits of the worker process, and which isolation this machine allows."""
import errno
import functools
import os
import tempfile
from dataclasses import dataclass

from . import facilities

# A container without CAP_SYS_ADMIN (Docker's default capability set and seccomp profile,
# as on Gradescope) answers these to unshare, mount and pivot_root.
REFUSED = (errno.EPERM, errno.EINVAL)
PROBE_UID = 65534  # any uid but ours: only whether setresuid is allowed matters


def is_root() -> bool:
    return facilities.current().root


@dataclass(frozen=True)
class Available:
    """The isolation a root grader can give its workers on this machine."""
    minimal_root: bool  # private namespaces and the minimal root (mounts.build_root)
    fresh_uid: bool  # each worker runs as a uid of its own
    degraded: str = ""  # as root: what is missing and why ("" when nothing is)


@functools.cache
def available() -> Available:
    """Tried once per grading process, before its first worker, in a throwaway child: every
    worker of the run is isolated the same way, and no probe pays for the question. Not
    root, or a system without part of the isolated path (macOS, Windows): what there is,
    said once (facilities.Facilities.reduced)."""
    offered = facilities.current()
    if not is_root() or offered.reduced():
        return Available(False, offered.setuid and is_root(), offered.reduced())
    from . import mounts
    from .processes import SPAWN_LOCK

    with tempfile.TemporaryDirectory(prefix="micrograde-probe-") as folder:
        read, write = os.pipe()
        with SPAWN_LOCK:  # a concurrent sweep (processes.kill_everything) never sees the child
            pid = os.fork()
            if pid == 0:
                _probe_child(mounts, folder, write)
            os.close(write)
            with os.fdopen(read) as answer:
                refusals = answer.read().split("\n")
            os.waitpid(pid, 0)
    root_refused, uid_refused = (refusals + ["", ""])[:2]
    missing = []
    if root_refused:
        missing.append(f"no private namespaces or minimal root ({root_refused})")
    if uid_refused:
        missing.append(f"no uid of its own, the worker runs as root ({uid_refused})")
    degraded = ""
    if missing:
        degraded = ("isolation degraded: this machine refused part of the worker's sandbox (a container "
                    "without CAP_SYS_ADMIN?): " + "; ".join(missing) + ". Resource limits and process "
                    "cleanup still apply; grading is otherwise the same")
    # The minimal root is built for a worker of its own uid (its scratch tmpfs is that uid's).
    return Available(not root_refused and not uid_refused, not uid_refused, degraded)


def _probe_child(mounts, folder: str, write: int) -> None:
    """Write which isolation steps were refused, one line each ("" when allowed); never return."""
    lines = []
    try:
        for step in (lambda: mounts.try_minimal_root(folder), lambda: drop_privileges(PROBE_UID)):
            try:
                step()
                lines.append("")
            except OSError as e:
                # Only a refusal (or a call this C library lacks) degrades; any other
                # failure is the worker's to report.
                lines.append(str(e) if e.errno in REFUSED or e.errno is None else "")
        os.write(write, "\n".join(lines).encode())
    finally:
        os._exit(0)


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("privileges were not dropped")


def apply_limits(limits, nproc_base: int = 0) -> None:
    """The resource limits this platform enforces (facilities.current().rlimits); where it
    has none (Windows), the grader's deadlines and the output cap still hold."""
    applied = facilities.current().rlimits
    if not applied:
        return
    import resource

    mb = 1024 * 1024
    values = {
        "AS": limits.memory_mb * mb,
        "CPU": limits.cpu_seconds,
        "FSIZE": limits.file_size_mb * mb,
        "NOFILE": limits.open_files,
        "NPROC": nproc_base + limits.processes,
        "CORE": 0,
    }
    for name in applied:
        which, value = getattr(resource, f"RLIMIT_{name}"), values[name]
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
