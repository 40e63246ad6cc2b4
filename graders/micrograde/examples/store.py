"""Where drawn examples are kept between runs, and under which key.

One folder per user, shared by a student's repeated runs and by every job of a batch:
the platform's user cache folder, or `MICROGRADE_CACHE_DIR` (`off` turns the cache off).
An entry's file name is a digest of everything its examples depend on: the kit's own
files (graders, specs: contract and rubric, as grading_key.kit_digest reads them), the
Python and Hypothesis versions, the check, its seed and settings and the strategies it
draws from. A changed kit therefore never finds an old entry; old entries are simply
never read again.

Entries are written atomically (a reader sees a whole entry or none, concurrent batch jobs
included). An entry that cannot be read, or holds anything but plain data and the kit's
own classes, is ignored and rebuilt: nothing in it is ever run.
"""
import functools
import hashlib
import importlib.metadata
import io
import os
import pickle
import sys
from pathlib import Path

from .. import atomic, grading_key

FORMAT = 2
ENV = "MICROGRADE_CACHE_DIR"
PLAIN = {"builtins": {"tuple", "list", "dict", "set", "frozenset", "int", "float", "str", "bytes",
                      "bool", "complex"}}
KIT_PACKAGE = "micrograde."


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "micrograde" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "micrograde"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "micrograde"


@functools.cache
def kit_digest() -> str:
    """The kit's files (any change to a grader, the plugin or a spec changes it), and the
    interpreter and Hypothesis versions, which decide what a seed draws (Hypothesis's read
    from its installed metadata: importing it is what a warm cache saves)."""
    hypothesis = importlib.metadata.version("hypothesis")
    versions = f"{FORMAT}:{sys.version_info[:2]}:{hypothesis}:{grading_key.kit_digest()}"
    return hashlib.sha256(versions.encode()).hexdigest()


def key(*parts: str) -> str:
    """An entry's name: the kit's digest and the check's own parts (seed, settings, strategies)."""
    digest = hashlib.sha256(kit_digest().encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def _path(where: Path, name: str) -> Path:
    return where / "examples" / name[:2] / f"{name}.pickle"


class _PlainUnpickler(pickle.Unpickler):
    """Rebuilds plain data and the kit's own classes only: a damaged or planted entry runs nothing."""

    def find_class(self, module, name):
        if name in PLAIN.get(module, ()) or (module.startswith(KIT_PACKAGE) and "." not in name
                                                 and not name.startswith("_")):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an example cache entry")


def load(name: str):
    """The entry called `name`, or None if there is none or it cannot be read whole."""
    where = folder()
    if where is None:
        return None
    try:
        data = _path(where, name).read_bytes()
        return _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:  # missing, truncated, planted or from another format: rebuilt by the caller
        return None


def store(name: str, entry) -> None:
    """Keep `entry` under `name`; a cache that cannot be written only costs the next run time."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic.write_bytes(_path(where, name), pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
