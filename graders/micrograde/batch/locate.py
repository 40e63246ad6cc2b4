"""Finding the folder to grade inside what a student handed in: the folder that holds
the `micrograd/` package, possibly under wrapper folders (a zip of "alice/", a GitHub
repository with `student_template/micrograd/`).

Folders named like tooling or copies (`reference`, `venv`, `node_modules`, hidden ones)
are passed over when another candidate exists, but never skipped for their name alone:
a student's only copy may well sit in a wrapper folder called `reference` or `venv`."""
from pathlib import Path

PACKAGE = "micrograd"
MAX_DEPTH = 3
MAX_FOLDERS = 5000  # folders looked at per submission: a node_modules tree must not stall a batch
NEVER = {"__MACOSX", "__pycache__", ".git", ".hg", ".svn"}  # metadata and caches, never code
UNLIKELY = {"reference", "node_modules", ".venv", "venv", "env", "site-packages"}


def _has_package(folder: Path) -> bool:
    return (folder / PACKAGE).is_dir()


def _unlikely(path: Path, root: Path) -> bool:
    return any(part in UNLIKELY or part.startswith(".") for part in path.relative_to(root).parts)


def _subfolders(folder: Path) -> list:
    try:
        return [c for c in sorted(folder.iterdir())
                if c.is_dir() and not c.is_symlink() and c.name not in NEVER]
    except OSError:
        return []


def _candidates(root: Path) -> list:
    """(depth, folder) for every folder holding the package, within MAX_DEPTH levels."""
    found, level, seen = [], [root], 0
    for depth in range(1, MAX_DEPTH + 1):
        below = []
        for folder in level:
            for child in _subfolders(folder):
                seen += 1
                if seen > MAX_FOLDERS:
                    return found
                if _has_package(child):
                    found.append((depth, child))
                else:
                    below.append(child)
        level = below
    return found


def find_submission_root(folder) -> Path:
    """The folder holding `micrograd/`: `folder` itself; else the shallowest such folder
    below it, if it is the only one at its depth (folders with unlikely names count only
    when there is no other candidate at all). When there is none, or several (ambiguous),
    `folder` is returned unchanged, and grading reports the package as missing."""
    folder = Path(folder)
    if _has_package(folder):
        return folder
    found = _candidates(folder)
    likely = [(d, c) for d, c in found if not _unlikely(c, folder)]
    if likely:
        shallowest = min(d for d, _ in likely)
        at_top = [c for d, c in likely if d == shallowest]
        return at_top[0] if len(at_top) == 1 else folder
    return found[0][1] if len(found) == 1 else folder
