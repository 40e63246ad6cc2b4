"""The worker's own world, as root: private namespaces and a minimal root file system.

The worker gets its own mount, PID, IPC and network namespaces. Its root is a fresh,
small tmpfs that holds only what the interpreter needs, bound read-only (its prefixes and
import path, the system's libraries), a few device files, a /proc of its own PID
namespace, its copy of the submission (read-only), and one writable tmpfs of a fixed size
for its files. Nothing else on the machine exists for it: not the kit, not a batch's SRC
or OUT, not other submissions, not one world-writable folder (whatever the machine has:
they are simply not in this root), not other processes. Its SysV IPC objects, its files
and every process it starts die with its namespaces, and its disk use is capped.
"""
import os
import platform

from .facilities import c_call

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 0x4000, 1 << 18
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}

# Where things are inside the worker's root: fixed names, so that no path of the machine
# (a batch's folders, a student's name) is visible to the submission.
SUBMISSION = "/submission"
SCRATCH = "/scratch"
# What the system's dynamic loader and the interpreter may read besides their own prefixes.
SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/etc/ld.so.cache", "/etc/localtime")
DEVICES = ("null", "zero", "full", "random", "urandom")


def _mount(source, target, fstype, flags, data, what):
    c_call("mount", source and os.fsencode(source), os.fsencode(target), fstype and fstype.encode(),
           flags, data and data.encode(), what=what)


def new_pid_namespace() -> None:
    """A new PID namespace for this process's next child, which becomes the worker
    (process 1 of that namespace). This process stays where it is."""
    c_call("unshare", CLONE_NEWPID, what="unshare(CLONE_NEWPID)")


def private_namespaces() -> None:
    """New mount, IPC and network namespaces for the worker alone (not the process that
    waits for it outside, which keeps the machine's root: see processes.stand_in_for)."""
    c_call("unshare", CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET,
           what="unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET)")


def _pivot_root_number() -> int:
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: its system call number on {platform.machine()} is not known to the kit")
    return number


def _outermost(paths):
    """Existing real paths, minus those inside another one (a recursive bind brings them)."""
    real = sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)})
    return [p for p in real if not any(p.startswith(q.rstrip(os.sep) + os.sep) for q in real if q != p)]


def _mount_point(path: str, folder: bool) -> str:
    if folder:
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
    return path


def _bind(source: str, root: str, target: str | None = None, device: bool = False) -> None:
    """Bind `source` at root + target, read-only (a device file: usable, not read-only)."""
    target = _mount_point(root + (target or source), os.path.isdir(source))
    _mount(source, target, None, MS_BIND | MS_REC, None, f"bind {source}")
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if device else MS_NODEV | MS_RDONLY)
    _mount("none", target, None, flags, None, f"read-only {source}")


def mapped_libraries() -> list[str]:
    """Folders of every file this process has mapped (libpython, numpy's libraries...)."""
    folders = set()
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split(maxsplit=5)
            path = fields[5].strip() if len(fields) == 6 else ""
            if path.startswith("/") and os.path.isfile(path):
                folders.add(os.path.dirname(path))
    return sorted(folders)


def build_root(root: str, needed, submission: str, uid: int, disk_mb: int) -> None:
    """Make `root` the worker's whole file system and enter it. Process 1 of the new PID
    namespace only (its /proc is that namespace's). Root only."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None, "mount --make-rprivate /")
    os.makedirs(root, exist_ok=True)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755", "tmpfs root")
    for name in os.listdir("/"):  # /lib -> usr/lib and the like, as the loader expects them
        if os.path.islink("/" + name):
            os.symlink(os.readlink("/" + name), os.path.join(root, name))
    for path in _outermost([*SYSTEM, *needed]):
        _bind(path, root)
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", root, device=True)
    _bind(submission, root, SUBMISSION)
    scratch = _mount_point(root + SCRATCH, True)
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={disk_mb}m,mode=0700,uid={uid},gid={uid}", "tmpfs scratch")
    for alias in ("/tmp", "/var/tmp", "/dev/shm"):  # for code that names them: the same capped space
        if not os.path.lexists(root + alias):
            os.makedirs(os.path.dirname(root + alias), exist_ok=True)
            os.symlink(SCRATCH, root + alias)
    _mount("proc", _mount_point(root + "/proc", True), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None, "proc")
    os.chdir(root)
    # pivot_root(".", "."): the old root ends up stacked on the new one, and is detached.
    c_call("syscall", _pivot_root_number(), b".", b".", what="pivot_root")
    c_call("umount2", b".", MNT_DETACH, what="detach the old root")
    os.chdir("/")
    _mount("none", "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None, "read-only root")


def try_minimal_root(folder: str) -> None:
    """What build_root needs from the kernel, tried on an empty `folder`: private
    namespaces, a tmpfs, pivot_root. Raises the OSError of the first call refused. It
    changes the calling process's world for good: a throwaway child only."""
    new_pid_namespace()
    private_namespaces()
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None, "mount --make-rprivate /")
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755", "tmpfs root")
    os.chdir(folder)
    c_call("syscall", _pivot_root_number(), b".", b".", what="pivot_root")


def close_other_descriptors(keep) -> None:
    """Close every descriptor but `keep`: a folder opened before the root changed would
    still lead to the old one."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
