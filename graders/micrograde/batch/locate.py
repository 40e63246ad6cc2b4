"""Finding the folder to grade inside what a student handed in: the folder that holds
the `micrograd/` package, possibly under wrapper folders (a zip of "alice/", a GitHub
repository with `student_template/micrograd/`)."""
from pathlib import Path

PACKAGE = "micrograd"
MAX_DEPTH = 3
SKIP = {"__MACOSX", "__pycache__", ".git", "reference", "node_modules", ".venv", "venv"}


def _has_package(folder: Path) -> bool:
    return (folder / PACKAGE).is_dir()


def find_submission_root(folder) -> Path:
    """The folder holding `micrograd/`: `folder` itself, else the only such folder within
    MAX_DEPTH levels below it. When there is none (or several, ambiguous) `folder` is
    returned unchanged, and grading reports the package as missing."""
    folder = Path(folder)
    if _has_package(folder):
        return folder
    level = [folder]
    for _ in range(MAX_DEPTH):
        children = [c for f in level for c in sorted(f.iterdir())
                    if c.is_dir() and not c.is_symlink() and c.name not in SKIP and not c.name.startswith(".")]
        found = [c for c in children if _has_package(c)]
        if len(found) == 1:
            return found[0]
        if found:
            return folder
        level = children
    return folder
