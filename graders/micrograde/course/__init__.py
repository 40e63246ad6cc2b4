"""Course packs: how an instructor adapts the assignment without forking the kit.

A pack is a folder with `course.toml` (validated against specs/course.schema.json) and,
optionally, `checks/` (instructor checks, pytest files), a CSV of training points and
boilerplate folders for similarity. Everything is optional: the empty pack is the default
course, with the same content hash as no pack at all.

The pack's settings reach the rest of the kit through a `Course` only: the rubric asks it
for points, switched-off checks, titles and visibility; the M4 task, the extra operations
and similarity ask it for theirs. The grading process reads it from `--course DIR`, or
from the kit's own `course/` folder (where a release or a Gradescope bundle puts it).
"""
from __future__ import annotations

import ast
import functools
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CourseError
from ..spec import KIT_ROOT, SPECS_DIR

COURSE_FILE = "course.toml"
CHECKS_DIR = "checks"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
# Where a release or a Gradescope bundle ships the pack: found there without --course.
SHIPPED_DIR = "course"
_JUNK = {"__pycache__", ".pytest_cache", ".hypothesis", ".git"}


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads((SPECS_DIR / "course.schema.json").read_text())


def pack_files(root: Path) -> list[Path]:
    """Every file of the pack but course.toml itself (its settings are hashed parsed)."""
    return sorted(p.relative_to(root) for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink() and not (_JUNK & set(p.relative_to(root).parts))
                  and p.relative_to(root) != Path(COURSE_FILE) and not p.name.endswith((".pyc", ".pyo")))


def content_hash(data: dict, files: dict) -> str:
    """sha256 of the settings (canonical JSON: comments and spacing do not count) and of
    every other file of the pack. No pack and an empty pack hash alike."""
    canonical = json.dumps({"settings": data, "files": files}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Course:
    root: Path | None
    data: dict = field(default_factory=dict)
    sha256: str = content_hash({}, {})
    # instructor check name -> (milestone, file relative to the pack)
    instructor: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.data.get("course", {}).get("name") or (self.root.name if self.root else "default")

    def entry(self, check: str) -> dict:
        return self.data.get("checks", {}).get(check, {})

    def enabled(self, check: str) -> bool:
        return self.entry(check).get("enabled", True)

    def points(self, check: str, default: float) -> float:
        return self.entry(check).get("points", default)

    def visibility(self, check: str) -> str:
        return self.entry(check).get("visibility", self.data.get("course", {}).get("default_visibility", "visible"))

    def title(self, milestone: str, default: str) -> str:
        return self.data.get("milestones", {}).get(milestone, {}).get("title", default)

    @property
    def extra_operations(self) -> tuple:
        return tuple(self.data.get("operations", {}).get("extra", ()))

    @property
    def task(self) -> dict:
        return dict(self.data.get("task", {}))

    @property
    def similarity(self) -> dict:
        return dict(self.data.get("similarity", {}))

    def boilerplate(self) -> list[Path]:
        return [self.root / rel for rel in self.similarity.get("boilerplate", ())] if self.root else []

    @property
    def checks_dir(self) -> Path | None:
        folder = self.root / CHECKS_DIR if self.root else None
        return folder if folder is not None and folder.is_dir() and self.instructor else None

    def report(self) -> dict:
        """What a report says of the course that graded it."""
        entry = {"name": self.name, "sha256": self.sha256}
        if self.root is not None:
            entry["path"] = str(self.root)
        return entry

    def hidden_checks(self) -> set:
        """Checks students never see, not even their names (a release leaves them out)."""
        named = set(self.data.get("checks", {})) | set(self.instructor)
        return {name for name in named if self.visibility(name) == "hidden"}


DEFAULT = Course(None)


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _describe(error) -> str:
    """What the schema allows at the failing key, in words."""
    v, spec = error.validator, error.validator_value
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return f"unknown key {', '.join(map(repr, extra))}" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    if v == "enum":
        return f"{error.instance!r} is not allowed; allowed: {', '.join(map(repr, spec))}"
    if v == "type":
        return f"must be of type {spec}, not {type(error.instance).__name__} {error.instance!r}"
    if v == "pattern" or (v == "propertyNames"):
        return f"{error.instance!r} is not an allowed name ({error.message})"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength", "maxLength"):
        return f"{error.instance!r}: {v} is {spec}"
    return error.message


def _validate(data: dict, file: Path) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        path = list(error.absolute_path)
        if error.validator == "propertyNames":
            path.append(error.instance)
        raise CourseError(f"{file}: key {_where(path)}: {_describe(error)}")


def _instructor_checks(root: Path) -> dict:
    """check name -> file, for every `def test_*` at the top of a file in checks/ (read statically)."""
    found = {}
    folder = root / CHECKS_DIR
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("test_*.py")):
        rel = path.relative_to(root)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError) as e:
            raise CourseError(f"{path}: not a Python file pytest can load: {e}") from None
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                if node.name in found:
                    raise CourseError(f"{path}: check {node.name} is also defined in {found[node.name]}: "
                                      f"every check needs its own name")
                found[node.name] = rel
    return found


def _check_semantics(data: dict, root: Path, file: Path, files: dict) -> dict:
    from .. import rubric

    builtin = {name: m for m, name, _ in rubric.checks()}
    per_operation = {name: m for m in rubric.MILESTONES
                     for name, _ in rubric.operation_checks(m, data.get("operations", {}).get("extra", []))}
    builtin.update(per_operation)
    default = data.get("course", {}).get("default_visibility", "visible")
    for name in per_operation:
        if data.get("checks", {}).get(name, {}).get("visibility", default) == "hidden":
            raise CourseError(f"{file}: key checks.{name}.visibility: a check of an extra operation cannot be hidden "
                              f"(a student's kit makes it from the operation); allowed: 'visible', 'after_due_date', "
                              f"'after_published', or enabled = false")
    defined = _instructor_checks(root)
    instructor = {}
    for name, entry in data.get("checks", {}).items():
        key = f"checks.{name}"
        if name in builtin:
            if "milestone" in entry and entry["milestone"] != builtin[name]:
                raise CourseError(f"{file}: key {key}.milestone: {name} is a check of {builtin[name]}; "
                                  f"a grader check cannot move to another milestone (leave milestone out)")
            continue
        if name not in defined:
            raise CourseError(f"{file}: key {key}: no such check: not in specs/rubric.json and no "
                              f"`def {name}` in {root / CHECKS_DIR}/test_*.py")
        if "milestone" not in entry:
            raise CourseError(f"{file}: key {key}.milestone: missing: an instructor check says which milestone "
                              f"owns it ({', '.join(rubric.MILESTONES)})")
        instructor[name] = (entry["milestone"], str(defined[name]))
    for name, rel in defined.items():
        if name not in instructor and name not in builtin:
            raise CourseError(f"{root / rel}: check {name} has no entry in {file}: add [checks.{name}] "
                              f"with its milestone (and points, visibility)")
        if name in builtin:
            raise CourseError(f"{root / rel}: check {name} has the name of a grader check of {builtin[name]}: rename it")
    for m in list(data.get("milestones", {})) + [m for m, _ in instructor.values()]:
        if m not in rubric.MILESTONES:
            raise CourseError(f"{file}: milestone {m!r} is not allowed; allowed: {', '.join(rubric.MILESTONES)}")
    task = data.get("task", {})
    if task.get("kind") == "csv" and "csv" not in task:
        raise CourseError(f"{file}: key task.csv: missing: kind = \"csv\" needs the CSV file of points (in the pack)")
    if "csv" in task and task.get("kind") != "csv":
        raise CourseError(f"{file}: key task.csv: only used with kind = \"csv\"")
    if "points" in task and task.get("kind") != "moons":
        raise CourseError(f"{file}: key task.points: only used with kind = \"moons\" (xor and csv fix their points)")
    for rel in [task.get("csv")] * ("csv" in task) + list(data.get("similarity", {}).get("boilerplate", [])):
        target = (root / rel).resolve()
        if root.resolve() not in target.parents or not target.exists():
            raise CourseError(f"{file}: {rel!r} is not a file or folder inside the pack {root}")
    return instructor


def load(folder) -> Course:
    """The course in `folder` (None: the kit's shipped course/ if any, else the default).
    CourseError, naming the file, the key and what is allowed, for anything wrong."""
    if folder is None:
        shipped = KIT_ROOT / SHIPPED_DIR
        return load(shipped) if (shipped / COURSE_FILE).is_file() else DEFAULT
    root = Path(folder).resolve()
    file = root / COURSE_FILE
    if not root.is_dir():
        raise CourseError(f"{folder}: not a folder: --course takes the folder holding {COURSE_FILE} "
                          f"(`micrograde course init DIR` writes one)")
    if not file.is_file():
        raise CourseError(f"{file}: missing: a course pack is a folder with {COURSE_FILE} "
                          f"(`micrograde course init {folder}` writes one with every default)")
    # Imported here: the default course (no course.toml) is every student's, and never parses TOML.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CourseError(f"{file}: not valid TOML: {e}") from None
    _validate(data, file)
    files = {p.as_posix(): hashlib.sha256((root / p).read_bytes()).hexdigest() for p in pack_files(root)}
    instructor = _check_semantics(data, root, file, files)
    return Course(root, data, content_hash(data, files), instructor)
