"""Matplotlib's font list, found once and handed to the plotting worker of every grading.

A plotting worker imports matplotlib while it prepares (main.py `_preload`). In a fresh
folder, matplotlib's font manager first looks through every font of the machine and writes
the list it found (`fontlist-v<version>.json`): a quarter of a second of the worker's
start-up, which M4's first check waits for. So each worker's matplotlib folder (its
MPLCONFIGDIR, in its scratch) starts with the list an earlier worker left in the kit's cache
folder, and a list a worker's preparation wrote (none kept yet, matplotlib upgraded, a
damaged copy rebuilt) is kept for the next.

What is kept was written by matplotlib while the worker prepared: before any submission
code runs, and taken as soon as the worker says it is ready, before the grader asks it
anything. Where the cache is off, every worker finds its fonts itself, as before.
"""
import shutil
from pathlib import Path

FOLDER = ".matplotlib"  # in a worker's home (the worker sets it again where its root has it)
FONT_LISTS = "fontlist-*.json"
MAX_BYTES = 4 << 20  # a machine with thousands of fonts has a list of a few hundred KB


def _kept() -> Path | None:
    from ..examples import store

    folder = store.folder()
    return None if folder is None else folder / "matplotlib"


def _stamp(path: Path):
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def give(folder: Path) -> dict:
    """Put the kept font lists in a worker's matplotlib `folder`; what was given, to `keep`."""
    folder.mkdir(exist_ok=True)
    given = {}
    kept = _kept()
    for path in kept.glob(FONT_LISTS) if kept is not None and kept.is_dir() else []:
        try:
            if path.stat().st_size <= MAX_BYTES:
                shutil.copyfile(path, folder / path.name)
                given[path.name] = _stamp(folder / path.name)
        except OSError:
            pass  # a list being replaced, or unreadable: this worker finds its fonts itself
    return given


def keep(folder: Path, given: dict) -> None:
    """Keep a font list the worker wrote while it prepared (call when it says it is ready)."""
    from .. import atomic

    kept = _kept()
    if kept is None:
        return
    for path in folder.glob(FONT_LISTS):
        try:
            if path.is_symlink() or given.get(path.name) == _stamp(path) or path.stat().st_size > MAX_BYTES:
                continue
            atomic.write_bytes(kept / path.name, path.read_bytes())
        except OSError:
            pass  # a read-only cache folder: the next worker finds its fonts itself
