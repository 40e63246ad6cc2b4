"""Everything that decides a grade besides the submission, as one digest.

A report records it (`grading_key`) and a batch reuses a report only when the digest of
its own settings is the same, so a re-run with another layout file, other limits, an
edited contract or rubric, another kit, seed or milestone set grades again. The
submission's own content is compared separately (its sha256), as before.
"""
import functools
import hashlib
import json
import os
from dataclasses import fields
from pathlib import Path

from . import __version__
from .spec import KIT_ROOT, SPECS_DIR
from .worker.limits import Limits


@functools.cache
def kit_digest() -> str:
    """The kit's code and specs as they are on disk: a check edited without a version bump
    still decides grades differently."""
    digest = hashlib.sha256(__version__.encode() + b"\0")
    for name, root in (("specs", SPECS_DIR), ("graders", KIT_ROOT / "graders")):
        for parts in _kit_files(root):
            digest.update(f"{name}/{'/'.join(parts)}".encode() + b"\0")
            digest.update(hashlib.sha256(root.joinpath(*parts).read_bytes()).digest())
    return digest.hexdigest()


def _kit_files(root: Path) -> list[tuple[str, ...]]:
    """The .py, .json and .ini files under `root` (as path parts, in the order of sorted
    paths), __pycache__ folders left unread: os.scandir, not Path.rglob, which made a Path
    of every bytecode file and took most of kit_digest's 13 ms (now 6 in all)."""
    found = []
    folders = [()]
    while folders:
        folder = folders.pop()
        with os.scandir(root.joinpath(*folder)) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):  # as rglob: a linked folder is not entered
                    if entry.name != "__pycache__":
                        folders.append((*folder, entry.name))
                elif entry.name.endswith((".py", ".json", ".ini")) and entry.is_file():
                    found.append((*folder, entry.name))
    return sorted(found)


def grading_key(*, seed: int, milestones, limits: dict, integrity_policy: str,
                layout_file=None, course: str = "") -> str:
    """`layout_file`: the instructor's layout file, if any (its content counts, not its
    path). `course`: a digest of the course pack in use ("" for the default course)."""
    layout = Path(layout_file).read_bytes() if layout_file else None
    parts = {
        "kit": kit_digest(),
        "seed": seed,
        "milestones": sorted(milestones),
        # 2 and 2.0 s are one limit: each value as its field's type (a command line gives floats)
        "limits": {f.name: type(f.default)(limits[f.name]) for f in fields(Limits) if f.name in limits},
        "integrity_policy": integrity_policy,
        "layout": hashlib.sha256(layout).hexdigest() if layout is not None else None,
        "course": course,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
