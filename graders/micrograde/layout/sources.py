"""Which files of a submission are its source: Python modules and notebooks, minus the
folders that hold somebody else's code (virtualenvs, site-packages), generated files
(build folders, caches, notebook checkpoints) or tests."""
import os
from pathlib import Path

MAX_FILES = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
# Skipped by name wherever they are. Virtualenvs are also recognised by their content
# (see is_virtualenv): students name them anything ("env", "myenv", "micrograd-env").
SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", "site-packages", "dist-packages", "node_modules",
              "build", "dist", "__MACOSX", "test", "tests", "testing", "venv", "micrograde"}
TEST_FILES = ("test_", "tests.py", "test.py", "conftest.py")


def is_virtualenv(folder: Path) -> bool:
    """A virtualenv or conda environment, whatever its name."""
    if (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta").is_dir():
        return True
    if (folder / "Lib" / "site-packages").is_dir():  # Windows layout
        return True
    lib = folder / "lib"
    return lib.is_dir() and any((p / "site-packages").is_dir() for p in lib.glob("python*"))


def _skipped_folder(folder: Path) -> str:
    """Why a folder is skipped ('' when it is not)."""
    name = folder.name
    if folder.is_symlink():
        return "symlink"
    if name.startswith("."):
        return "hidden folder"
    if name.endswith(".egg-info"):
        return "package metadata"
    if name in SKIP_NAMES:
        return "virtualenv" if name == "venv" else f"{name} folder"
    if is_virtualenv(folder):
        return "virtualenv"
    return ""


def _is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name in TEST_FILES


def source_files(root) -> tuple[list[str], dict[str, str]]:
    """(relative POSIX paths of .py and .ipynb files, sorted; {skipped folder: why}).

    Test files are left out too: a test defines fakes and imports the real code, and must
    never be taken for it.
    """
    root = Path(root)
    found, skipped = [], {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        keep = []
        for d in sorted(dirs):
            why = _skipped_folder(here / d)
            if why:
                skipped[(here / d).relative_to(root).as_posix()] = why
            else:
                keep.append(d)
        dirs[:] = keep
        for name in sorted(names):
            path = here / name
            if not name.endswith((".py", ".ipynb")) or _is_test_file(name) or path.is_symlink():
                continue
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            found.append(path.relative_to(root).as_posix())
            if len(found) >= MAX_FILES:
                return sorted(found), skipped
    return sorted(found), skipped
