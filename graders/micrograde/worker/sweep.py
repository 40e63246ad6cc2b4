"""What a worker's own uid holds outside its run folder: files in the machine's shared
temporary folders and System V IPC objects (POSIX shared memory is files in /dev/shm).

Without its private namespaces (a container without CAP_SYS_ADMIN) a worker writes to the
machine's /tmp, /var/tmp and /dev/shm, and its segments outlive it. Its uid is fresh and
used by nothing else, so everything that uid owns is the worker's: counted against its
limits while it runs (watchdog.py) and removed after it (`remove_owned`).
"""
import os
import stat

SHARED = ("/tmp", "/var/tmp", "/dev/shm")
SYSVIPC = {"shm": 0, "sem": 1, "msg": 2}  # /proc/sysvipc/NAME: which *ctl removes it
IPC_RMID = 0
MAX_ENTRIES = 200_000  # a sweep of a huge /tmp stops here rather than stall the grader


def _blocks(st) -> int:
    return st.st_blocks * 512


def folder_bytes(folder) -> int:
    """Bytes the files under `folder` take on disk."""
    total = 0
    for here, _, names in os.walk(folder):
        for name in names:
            try:
                total += _blocks(os.lstat(os.path.join(here, name)))
            except OSError:
                pass
    return total


def _owned_top(uid: int, folders=SHARED):
    """Entries directly in the shared folders that `uid` owns."""
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if st.st_uid == uid:
                        yield entry.path, st
        except OSError:
            continue


def owned_bytes(uid: int) -> int:
    """Bytes of what `uid` keeps in the shared temporary folders (their top level and what
    it created below: a folder of its own holds only its files)."""
    total = 0
    for path, st in _owned_top(uid):
        total += folder_bytes(path) if stat.S_ISDIR(st.st_mode) else _blocks(st)
    return total


def _sysvipc(kind: str):
    """(id, uid, bytes) of every System V object of `kind` on the machine."""
    try:
        with open(f"/proc/sysvipc/{kind}") as f:
            header = f.readline().split()
            rows = [dict(zip(header, line.split())) for line in f]
    except OSError:
        return []
    ident = {"shm": "shmid", "sem": "semid", "msg": "msqid"}[kind]
    size = {"shm": "size", "sem": "nsems", "msg": "cbytes"}[kind]
    found = []
    for row in rows:
        try:
            found.append((int(row[ident]), int(row["uid"]), int(row[size])))
        except (KeyError, ValueError):
            continue
    return found


def shared_memory_bytes(uid: int) -> int:
    """Shared memory `uid` holds: its System V segments and its files in /dev/shm (tmpfs)."""
    total = sum(size for _, owner, size in _sysvipc("shm") if owner == uid)
    for path, st in _owned_top(uid, ("/dev/shm",)):
        total += folder_bytes(path) if stat.S_ISDIR(st.st_mode) else _blocks(st)
    return total


def _remove_tree_of(uid: int, folder: str) -> list:
    """Remove every file and empty folder `uid` owns under `folder`; return what was removed."""
    removed, seen = [], 0
    for here, dirs, names in os.walk(folder, topdown=False):
        for name in names + dirs:
            seen += 1
            if seen > MAX_ENTRIES:
                return removed
            path = os.path.join(here, name)
            try:
                st = os.lstat(path)
                if st.st_uid != uid:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    os.rmdir(path)  # emptied above, unless someone else's file is inside
                else:
                    os.unlink(path)
                removed.append(path)
            except OSError:
                continue
    return removed


def remove_owned(uid: int) -> list:
    """Remove everything `uid` owns in the shared temporary folders and every System V
    object it owns; return what was removed, in words (for tests and logs)."""
    removed = []
    for folder in SHARED:
        removed += _remove_tree_of(uid, folder)
    owned = [(kind, ident) for kind in SYSVIPC for ident, owner, _ in _sysvipc(kind) if owner == uid]
    if owned and _remove_as(uid, owned):
        removed += [f"System V {kind} {ident}" for kind, ident in owned]
    return removed


def _remove_as(uid: int, objects) -> bool:
    """Remove System V objects as their owner, in a child that becomes `uid`: removing
    another uid's object needs CAP_SYS_ADMIN, which a degraded grader lacks."""
    from .facilities import c_function
    from .processes import PROTECTED, SPAWN_LOCK

    calls = {kind: c_function(f"{kind}ctl") for kind in SYSVIPC}  # resolved before the fork
    if None in calls.values():
        return False
    with SPAWN_LOCK:  # a concurrent sweep of adopted children leaves this one alone
        pid = os.fork()
        if pid:
            PROTECTED.add(pid)
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for kind, ident in objects:
                calls[kind](*((ident, 0, IPC_RMID) if kind == "sem" else (ident, IPC_RMID, None)))
        finally:
            os._exit(0)
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        PROTECTED.discard(pid)
    return os.waitstatus_to_exitcode(status) == 0
