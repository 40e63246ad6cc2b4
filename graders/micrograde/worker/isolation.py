"""Privileges and resource limits of the worker process."""
import os
import resource


def is_root() -> bool:
    return os.geteuid() == 0


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("privileges were not dropped")


def apply_limits(limits, nproc_base: int = 0) -> None:
    mb = 1024 * 1024
    settings = [
        (resource.RLIMIT_AS, limits.memory_mb * mb),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * mb),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, nproc_base + limits.processes),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in settings:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
