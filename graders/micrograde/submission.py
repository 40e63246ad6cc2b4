"""A submission folder: which of its files count, their hash, and the private copy we grade."""
import hashlib
import os
import shutil
from pathlib import Path

from .errors import NotASubmission

SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache",
             ".ruff_cache", "node_modules", ".ipynb_checkpoints", ".venv", "venv", ".tox"}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 2000


def check_folder(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise NotASubmission(f"{path} does not exist: give the folder that contains micrograd/")
    if not path.is_dir():
        raise NotASubmission(f"{path} is not a folder: give the folder that contains micrograd/")
    return path.resolve()


def files(root) -> list[Path]:
    """The submission's regular files, relative, sorted; symlinks, caches and venvs left out.

    Symlinks are left out so a submission cannot point the grader at files outside it
    (the reference solution, say).
    """
    root = Path(root)
    found = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (here / d).is_symlink()
                         and not (here / d / "pyvenv.cfg").exists())
        for name in sorted(names):
            path = here / name
            if path.is_symlink() or not path.is_file() or name.endswith((".pyc", ".pyo")):
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            found.append(path.relative_to(root))
            if len(found) >= MAX_FILES:
                return sorted(found)
    return sorted(found)


def sha256(root) -> str:
    digest = hashlib.sha256()
    root = Path(root)
    for rel in files(root):
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256((root / rel).read_bytes()).digest())
    return digest.hexdigest()


def copy(root, dest) -> None:
    root, dest = Path(root), Path(dest)
    dest.mkdir(parents=True)
    for rel in files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)
