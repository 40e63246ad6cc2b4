"""A submission folder: which of its files count, their hash, and the private copy we grade."""
import hashlib
import os
import shutil
from pathlib import Path

from .errors import NotASubmission


def check_folder(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise NotASubmission(f"{path} does not exist: give the folder that contains micrograd/")
    if not path.is_dir():
        raise NotASubmission(f"{path} is not a folder: give the folder that contains micrograd/")
    return path.resolve()


def files(root) -> list[Path]:
    """The submission's files that count, relative, sorted: layout.sources.selected_files,
    the one selection behind the worker's copy, the hash, the scan and similarity.

    Symlinks are left out so a submission cannot point the grader at files outside it
    (the reference solution, say).
    """
    # Imported here: importing the layout package reads the kit's specs, and a Dask worker
    # imports this module (batch.distributed) before its kit version is checked.
    from .layout.sources import selected_files

    return [Path(rel) for rel in selected_files(root)[0]]


def sha256(root) -> str:
    digest = hashlib.sha256()
    root = Path(root)
    for rel in files(root):
        digest.update(os.fsencode(rel.as_posix()) + b"\0")
        digest.update(hashlib.sha256((root / rel).read_bytes()).digest())
    return digest.hexdigest()


def copy(root, dest) -> None:
    root, dest = Path(root), Path(dest)
    dest.mkdir(parents=True)
    for rel in files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)
