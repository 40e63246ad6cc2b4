"""The student's side of a course: what a release ships of the pack and of the kit.

Hidden checks never leave the instructor's side, neither their code nor their names: a
grader check marked hidden is cut out of its grader file and out of specs/rubric.json, a
hidden instructor check out of its checks/ file, every entry of either out of the
shipped course.toml, and any other mention of the name in a shipped file is redacted.
A last scan of every file written refuses the release if a hidden name is still there.
"""
import ast
import json
from pathlib import Path

from ..errors import KitError
from . import CHECKS_DIR, COURSE_FILE, SHIPPED_DIR

REDACTED = "a_hidden_check"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def dump_toml(data: dict) -> str:
    """course.toml from its settings (the schema's shape: tables of scalars, or of tables)."""
    lines = ["# The course pack as students get it (hidden checks left out); written by micrograde release."]
    for key, table in data.items():
        flat = {k: v for k, v in table.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        if flat or not nested:
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in flat.items()]
        for sub, entries in nested.items():
            lines += ["", f"[{key}.{sub}]"] + [f"{k} = {_toml_value(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


def without_functions(source: str, names: set) -> str:
    """`source` with the top-level functions called `names` (decorators included) cut out."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    cut = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            cut.append((first - 1, node.end_lineno))
    for start, end in sorted(cut, reverse=True):
        del lines[start:end]
    return "".join(lines)


def _redact(text: str, hidden: set) -> str:
    for name in sorted(hidden, key=len, reverse=True):
        text = text.replace(name, REDACTED)
    return text


def filter_kit(out: Path, files, hidden: set) -> None:
    """Cut the hidden checks out of the kit files already copied to `out`."""
    if not hidden:
        return
    for rel in files:
        path = out / rel
        if rel.parts[0] == "graders" and rel.name.startswith("test_") and rel.suffix == ".py":
            text = without_functions(path.read_text(encoding="utf-8"), hidden)
        elif rel == Path("specs", "rubric.json"):
            rubric = json.loads(path.read_text(encoding="utf-8"))
            for entry in rubric.values():
                if isinstance(entry, dict) and "checks" in entry:
                    entry["checks"] = {n: p for n, p in entry["checks"].items() if n not in hidden}
            text = json.dumps(rubric, indent=2) + "\n"
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
        path.write_text(_redact(text, hidden), encoding="utf-8")


def write_pack(course, out: Path) -> list:
    """The pack as students get it, at out/course/: settings and instructor checks without the
    hidden ones, the task's CSV. Returns the relative paths written."""
    hidden = course.hidden_checks()
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in course.data.items()}
    if "checks" in data:
        data["checks"] = {n: e for n, e in data["checks"].items() if n not in hidden}
    folder = out / SHIPPED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / COURSE_FILE).write_text(dump_toml(data), encoding="utf-8")
    written = [Path(SHIPPED_DIR, COURSE_FILE)]
    for name, (_, rel) in sorted(course.instructor.items()):
        target = folder / rel
        if target.exists() or all(n in hidden for n, (_, r) in course.instructor.items() if r == rel):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        text = without_functions((course.root / rel).read_text(encoding="utf-8"), hidden)
        target.write_text(_redact(text, hidden), encoding="utf-8")
        written.append(Path(SHIPPED_DIR, rel))
    for rel in ([course.task["csv"]] if "csv" in course.task else []):
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((course.root / rel).read_bytes())
        written.append(Path(SHIPPED_DIR, rel))
    return written


def refuse_hidden_names(out: Path, hidden: set) -> None:
    """KitError if any file under `out` still names a hidden check."""
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for name in hidden:
            if name.encode() in data:
                raise KitError(f"{path.relative_to(out)} names the hidden check {name}: the release would show it")


__all__ = ["CHECKS_DIR", "dump_toml", "filter_kit", "refuse_hidden_names", "write_pack", "without_functions"]
