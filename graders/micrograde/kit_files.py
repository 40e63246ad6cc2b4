"""Which files make the kit as it is handed out: the student release and the Gradescope
bundle both take their files from here, so neither can ship the solution by accident.

The selection is an allow-list of top-level entries; `reference/` (the solution),
`tests/` (the kit's own tests, which use the solution and mutants of it) and
`benchmarks/` (which grade copies of the solution) are not on it."""
from pathlib import Path

from .errors import KitError

SHIPPED = ("README.md", "pyproject.toml", "specs", "graders", "student_template")
# The kit's README.md is the instructors' and developers' front door; what students get
# under that name is the students' guide, whose commands work inside the release.
SHIPPED_AS = {Path("README.md"): Path("docs/students.md")}
NOT_SHIPPED = ("reference", "tests", "benchmarks")
JUNK_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", ".git"}
JUNK_SUFFIXES = (".pyc", ".pyo", ".egg-info")
# The student-repository workflow, kept as package data, lands here in a release.
WORKFLOW_TEMPLATE = Path(__file__).parent / "templates" / "github-grade.yml"
WORKFLOW_PATH = ".github/workflows/grade.yml"
# Files this small (empty __init__.py, a one-line docstring) are the same in the template
# and the solution without giving anything away.
_TRIVIAL_BYTES = 200


def _junk(rel: Path) -> bool:
    return any(p in JUNK_DIRS or p.endswith(JUNK_SUFFIXES) for p in rel.parts)


def kit_files(root) -> list:
    """Paths (relative to `root`, sorted) of the files that make the kit, plus a check
    that none of them is a copy of a file of the reference solution."""
    root = Path(root)
    files = []
    for top in SHIPPED:
        entry = root / SHIPPED_AS.get(Path(top), Path(top))
        if entry.is_file():
            files.append(Path(top))
        elif entry.is_dir():
            for path in sorted(entry.rglob("*")):
                rel = path.relative_to(root)
                # Symlinks are left out: they could point at the solution or outside the kit.
                if path.is_file() and not path.is_symlink() and not _junk(rel):
                    files.append(rel)
    _check_no_solution(root, files)
    return files


def _check_no_solution(root: Path, files) -> None:
    ref = root / "reference"
    if not ref.is_dir():
        return
    solution = {p.read_bytes() for p in ref.rglob("*.py")
                if p.is_file() and len(p.read_bytes().strip()) > _TRIVIAL_BYTES}
    for rel in files:
        if rel.parts[0] in NOT_SHIPPED:
            raise KitError(f"{rel} would ship the solution or the kit's own tests")
        if rel.suffix == ".py" and (root / rel).read_bytes() in solution:
            raise KitError(f"{rel} is a copy of a reference solution file: the kit must not contain it")


def source(root, rel) -> Path:
    """The file of the kit at `root` whose content ships as `rel`."""
    return Path(root) / SHIPPED_AS.get(Path(rel), Path(rel))


def workflow_text() -> str:
    return WORKFLOW_TEMPLATE.read_text(encoding="utf-8")
