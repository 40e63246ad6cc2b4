"""Which files of a submission count: the one selection that decides what the worker's
private copy holds (so what can be imported), what is hashed, what the integrity scan reads
and what similarity compares. A copy hidden where one of them does not look would be
invisible to it, so there is no other list.

Left out: folders that hold somebody else's code (virtualenvs, site-packages), generated
files (build folders, caches, notebook checkpoints), hidden folders, tests, symlinks, names
that are not text (no module can have them), and files too large to be a student's work."""
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


CODE = (".py", ".ipynb")


def _decodable(name: str) -> bool:
    """A name that is text (os.walk hands undecodable bytes back as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def selected_files(root) -> tuple[list[str], dict[str, str]]:
    """(relative POSIX paths of the files that count, sorted; {skipped folder: why}).

    At most MAX_FILES code files (.py, .ipynb) and MAX_FILES others (data a module may
    read): a folder of images never pushes the code out. Test files are left out too: a
    test defines fakes and imports the real code, and must never be taken for it; and
    what is left out of the copy can never run.
    """
    root = Path(root)
    code, other, skipped = [], [], {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        keep = []
        for d in sorted(dirs):
            why = _skipped_folder(here / d) or ("" if _decodable(d) else "name is not text")
            if why:
                # Bytecode the student's interpreter happened to write is not theirs to be
                # told about (and a batch's cluster copy never carries it).
                if _decodable(d) and d != "__pycache__":
                    skipped[(here / d).relative_to(root).as_posix()] = why
            else:
                keep.append(d)
        dirs[:] = keep
        for name in sorted(names):
            path = here / name
            if not _decodable(name) or name.endswith((".pyc", ".pyo")):
                continue
            found = code if name.endswith(CODE) else other
            if found is code and _is_test_file(name):
                continue
            if len(found) >= MAX_FILES or path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            found.append(path.relative_to(root).as_posix())
    return sorted(code + other), skipped


def source_files(root) -> tuple[list[str], dict[str, str]]:
    """(relative POSIX paths of the .py and .ipynb files among selected_files, sorted;
    {skipped folder: why})."""
    files, skipped = selected_files(root)
    return [f for f in files if f.endswith(CODE)], skipped
