"""One limit per worker, all its processes together: a cgroup the kit creates for it.

The kit only ever creates cgroups beneath the ones it runs in, writes only into those,
and removes them when the worker is done; it never moves or alters a cgroup it did not
create. cgroup v2 is used where the grader's own cgroup already delegates the memory and
pids controllers to its children (its cgroup.subtree_control lists them); otherwise the
v1 `memory` and `pids` hierarchies (and `cpuacct`, to count CPU time) if they are mounted
and writable. Where neither can be made (a locked-down container), `available()` says
so and the grader falls back to its watchdog (worker/watchdog.py).

Memory counts what the worker's processes map and what they write to tmpfs or shared
memory (those pages are charged to the cgroup that touched them first). Past the limit
the kernel kills inside the group; the grader then kills the rest, so the worker dies as
a unit (v2 does this itself with memory.oom.group).
"""
import errno
import functools
import os
import time
import uuid
from dataclasses import dataclass

from .processes import kill_all

PREFIX = "micrograde-"
V1_CONTROLLERS = ("memory", "pids", "cpuacct")
V1_REQUIRED = ("memory", "pids")
V2_REQUIRED = ("memory", "pids")


def _own_paths() -> dict:
    """{controller: path of our cgroup in its hierarchy}; "" is the v2 hierarchy."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    return paths


def _mounts() -> dict:
    """{controller: (mount point, root of the mount)}; "" is the v2 hierarchy."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            fstype, options = fields[dash + 1], fields[dash + 3].split(",")
            root, point = fields[3], fields[4]
            if fstype == "cgroup2":
                found.setdefault("", (point, root))
            elif fstype == "cgroup":
                for name in options:
                    found.setdefault(name, (point, root))
    return found


def _folder(controller: str, paths: dict, mounts: dict) -> str | None:
    """Our own cgroup's folder in `controller`'s hierarchy, when it is visible here."""
    if controller not in paths or controller not in mounts:
        return None
    point, root = mounts[controller]
    path = paths[controller]
    if root != "/" and not (path == root or path.startswith(root.rstrip("/") + "/")):
        return None
    rel = path[len(root):] if root != "/" else path
    folder = os.path.join(point, rel.lstrip("/"))
    return folder if os.path.isdir(folder) else None


def _write(path: str, value) -> None:
    with open(path, "w") as f:
        f.write(str(value))


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


@dataclass(frozen=True)
class Parents:
    """Where the kit may create its cgroups: the v2 folder, or one folder per v1 controller."""
    version: int  # 2 or 1
    folders: dict  # {"": folder} for v2; {"memory": folder, "pids": folder, "cpuacct": folder?} for v1

    @property
    def mechanism(self) -> str:
        return f"cgroup-v{self.version}"


def _parents() -> Parents | None:
    try:
        paths, mounts = _own_paths(), _mounts()
    except OSError:
        return None
    v2 = _folder("", paths, mounts)
    if v2 is not None:
        try:
            delegated = _read(os.path.join(v2, "cgroup.subtree_control")).split()
        except OSError:
            delegated = []
        if all(c in delegated for c in V2_REQUIRED):
            return Parents(2, {"": v2})
    folders = {c: _folder(c, paths, mounts) for c in V1_CONTROLLERS}
    folders = {c: f for c, f in folders.items() if f is not None}
    if all(c in folders for c in V1_REQUIRED):
        return Parents(1, folders)
    return None


class Group:
    """A cgroup (one folder per v1 controller) holding one worker and all it starts."""

    def __init__(self, parents: Parents, limits):
        self.version = parents.version
        self.mechanism = parents.mechanism
        # Named after the process that made it: if that process dies, its parent finds its groups.
        name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.folders = {}
        self.oom_events = None
        try:
            for controller, parent in parents.folders.items():
                folder = os.path.join(parent, name)
                os.mkdir(folder, 0o755)
                self.folders[controller] = folder
            self._limit(limits)
        except OSError:
            self.remove()
            raise
        # Read after every answer (watchdog.Watchdog.oom): kept open and read again from its
        # start, as the kernel allows, rather than opened each time.
        try:
            self.oom_events = os.open(self._file("memory", "memory.events" if self.version == 2
                                                 else "memory.oom_control"), os.O_RDONLY)
        except OSError:
            self.oom_events = None

    def _file(self, controller: str, name: str) -> str:
        return os.path.join(self.folders["" if self.version == 2 else controller], name)

    def _limit(self, limits) -> None:
        memory = limits.memory_mb * 1024 * 1024
        if self.version == 2:
            _write(self._file("memory", "memory.max"), memory)
            for name, value in (("memory.swap.max", 0), ("memory.oom.group", 1)):
                try:
                    _write(self._file("memory", name), value)
                except FileNotFoundError:  # no swap accounting: nothing to swap to
                    pass
        else:
            _write(self._file("memory", "memory.limit_in_bytes"), memory)
            try:
                _write(self._file("memory", "memory.memsw.limit_in_bytes"), memory)
            except OSError:  # no swap accounting
                pass
        _write(self._file("pids", "pids.max"), limits.processes)

    def add(self, pid: int) -> None:
        """Put `pid` in every controller's group (before it starts anything)."""
        for folder in self.folders.values():
            _write(os.path.join(folder, "cgroup.procs"), pid)

    def pids(self) -> set:
        found = set()
        for folder in self.folders.values():
            try:
                found.update(int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split())
            except OSError:
                pass
        return found

    def kill(self) -> None:
        """Kill every process in the group, also those forked while we kill."""
        if self.version == 2:
            try:
                _write(self._file("", "cgroup.kill"), 1)
            except OSError:
                pass
        kill_all(self.pids, reap=False)

    def oom_kills(self) -> int:
        """How many processes of the group the kernel killed for its memory limit, so far."""
        try:
            words = os.pread(self.oom_events, 4096, 0).split()  # lines of "name count"
        except (OSError, TypeError):  # not readable, or the group is removed
            return 0
        try:
            return int(words[words.index(b"oom_kill") + 1])
        except (ValueError, IndexError):
            return 0

    def cpu_seconds(self) -> float | None:
        """CPU time used by the group so far (living and dead processes), if counted."""
        try:
            if self.version == 2:
                for line in _read(self._file("", "cpu.stat")).splitlines():
                    if line.startswith("usage_usec"):
                        return int(line.split()[1]) / 1e6
                return None
            if "cpuacct" in self.folders:
                return int(_read(os.path.join(self.folders["cpuacct"], "cpuacct.usage"))) / 1e9
        except (OSError, ValueError):
            pass
        return None

    def remove(self) -> None:
        """Kill what is left and remove every folder the kit created."""
        self.kill()
        events, self.oom_events = getattr(self, "oom_events", None), None
        if events is not None:
            os.close(events)
        for folder in list(self.folders.values()):
            for _ in range(100):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)  # a killed process not yet reaped still counts
        self.folders = {}


@functools.cache
def available() -> Parents | None:
    """Where this grading process can make a cgroup for each worker (tried once, by
    creating and removing one), or None."""
    from .facilities import current
    from .limits import Limits

    if not current().cgroups:  # the platform layer says whether cgroups can be asked at all
        return None
    parents = _parents()
    if parents is None:
        return None
    try:
        probe = Group(parents, Limits())
    except OSError:
        return None
    probe.remove()
    return parents


def remove_leftovers(maker: int) -> int:
    """Kill and remove the groups the process `maker` created and left (it was killed
    before its own clean-up); return how many."""
    parents = available()
    if parents is None:
        return 0
    names = set()
    for parent in parents.folders.values():
        try:
            names.update(n for n in os.listdir(parent) if n.startswith(f"{PREFIX}{maker}-"))
        except OSError:
            continue
    for name in names:
        group = object.__new__(Group)
        group.version, group.mechanism = parents.version, parents.mechanism
        group.folders = {c: os.path.join(p, name) for c, p in parents.folders.items()
                         if os.path.isdir(os.path.join(p, name))}
        group.remove()
    return len(names)


def create(limits) -> Group | None:
    """A fresh group holding `limits`, or None where none can be made."""
    parents = available()
    if parents is None:
        return None
    try:
        return Group(parents, limits)
    except OSError:
        return None
