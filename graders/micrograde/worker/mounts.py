"""The worker's view of the file system and network: private namespaces, as root only."""
import os

from .libc import check, libc

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_BIND = 4096


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None, what: str):
    check(libc.mount(os.fsencode(source), os.fsencode(target), fstype and fstype.encode(),
                       flags, data and data.encode()), what)


def private_mounts() -> None:
    """Our own mount and network namespaces. Root only.

    What we mount from here on, only this worker sees; and its network has nothing but
    a loopback that is down: no answers fetched, no grader services reached.
    """
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare(CLONE_NEWNS | CLONE_NEWNET)")
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None, "mount --make-rprivate /")


def _blocking_ancestor(path: str):
    """The first folder on the way to path that other users may not enter, and its child on the way."""
    parts = os.path.realpath(path).split(os.sep)[1:]
    current = "/"
    for part in parts:
        if not os.stat(current).st_mode & 0o001:
            return current, part
        current = os.path.join(current, part)
    return None


def expose(paths, hold_dir: str) -> None:
    """Let an unprivileged user reach each path (the interpreter, site-packages).

    A folder such as /root (mode 700) would stop the dropped worker from importing
    anything it did not import before. Each such folder is covered with a tmpfs that
    everyone may enter, holding bind mounts of just the children that lead to the paths.
    All the paths under one folder are collected first: once the tmpfs is laid, the
    folder's other children are out of sight.
    """
    paths = [os.path.realpath(p) for p in paths if os.path.exists(p)]
    holds = 0
    for _ in range(8):  # one level of blocking folders per round
        blocked: dict[str, set[str]] = {}
        for path in paths:
            found = _blocking_ancestor(path)
            if found:
                blocked.setdefault(found[0], set()).add(found[1])
        if not blocked:
            return
        for ancestor, children in sorted(blocked.items()):
            held = []
            for child in sorted(children):
                source = os.path.join(ancestor, child)
                hold = _mount_point(os.path.join(hold_dir, str(holds)), os.path.isdir(source))
                holds += 1
                _mount(source, hold, None, MS_BIND | MS_REC, None, f"bind {child}")
                held.append((child, hold))
            _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755", f"tmpfs on {ancestor}")
            for child, hold in held:
                target = _mount_point(os.path.join(ancestor, child), os.path.isdir(hold))
                _mount(hold, target, None, MS_BIND | MS_REC, None, f"bind back {child}")


def _mount_point(path: str, folder: bool) -> str:
    """An empty folder or file to mount on (a bind mount needs one of the same kind)."""
    if folder:
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
    return path


def hide_paths(paths) -> list[str]:
    """Lay an empty read-only tmpfs over each path in our private mount namespace.

    The grader's kit (reference solution, graders, mutants) stays on disk for the
    grader but is an empty folder for the submission. Root only.
    """
    hidden = []
    for path in paths:
        if os.path.isdir(path):
            flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
            _mount("tmpfs", path, "tmpfs", flags, "size=4k,mode=0555", f"mount tmpfs on {path}")
            hidden.append(path)
    return hidden


SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")


def private_temp(keep) -> None:
    """A fresh, empty tmpfs on each world-writable folder, in our mount namespace. Root only.

    Otherwise a submission could leave files there that outlive it, for a later
    submission of the same batch to read (answers passed between students) or to
    trip over. Each path in `keep` under such a folder (our run folder, a venv the
    interpreter lives in) is bound back in place.
    """
    paths = sorted({os.path.realpath(p) for p in keep if os.path.exists(p)})
    # Bind back the outermost paths only: the inner ones come with them.
    paths = [p for p in paths if not any(p.startswith(q + os.sep) for q in paths if q != p)]
    held = {p: os.open(p, os.O_RDONLY | os.O_DIRECTORY) for p in paths if os.path.isdir(p)}
    try:
        for folder in SHARED_WRITABLE:
            if not os.path.isdir(folder) or os.path.islink(folder):
                continue
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777", f"tmpfs on {folder}")
            for path, fd in held.items():
                if path.startswith(folder.rstrip(os.sep) + os.sep):
                    os.makedirs(path, mode=0o711)
                    _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None, f"bind back {path}")
    finally:
        for fd in held.values():
            os.close(fd)
