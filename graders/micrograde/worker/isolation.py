"""Operating-system isolation: privileges, mounts, limits and the clean-up of stray processes."""
import ctypes
import os
import resource
import signal
import threading
import time

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def is_root() -> bool:
    return os.geteuid() == 0


def become_subreaper() -> None:
    """Orphaned descendants of our workers are re-parented to us, so none can slip away."""
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")


def die_with_parent() -> None:
    # Must come after setuid: changing credentials clears the parent-death signal.
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() == 1:
        os._exit(70)


MS_BIND = 4096


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None, what: str):
    _check(_libc.mount(os.fsencode(source), os.fsencode(target), fstype and fstype.encode(),
                       flags, data and data.encode()), what)


def private_mounts() -> None:
    """Our own mount and network namespaces. Root only.

    What we mount from here on, only this worker sees; and its network has nothing but
    a loopback that is down: no answers fetched, no grader services reached.
    """
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare(CLONE_NEWNS | CLONE_NEWNET)")
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
