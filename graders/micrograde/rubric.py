"""The milestones, their checks and the points of each, from specs/rubric.json.

The one source of all three: the grader suites, the CLI's --milestone choices, every
report renderer and the batch read them here (tests/test_rubric.py checks that the report
schema and the contract agree). A milestone is a top-level entry with "checks"; its
grader suite is graders/<milestone>/.
"""
import functools
import json

from .spec import SPECS_DIR


@functools.lru_cache(maxsize=1)
def _rubric() -> dict:
    data = json.loads((SPECS_DIR / "rubric.json").read_text())
    return {key: entry for key, entry in data.items() if isinstance(entry, dict) and "checks" in entry}


MILESTONES = tuple(_rubric())


def title(milestone: str, course=None) -> str:
    """What the milestone covers, e.g. "Value and its operators" (a course may retitle it)."""
    default = _rubric()[milestone]["title"]
    return course.title(milestone, default) if course is not None else default


def checks(milestones=MILESTONES, course=None) -> list[tuple[str, str, float]]:
    """(milestone, check name, points), in rubric order. A course (micrograde.course) sets
    points, switches checks off and adds its instructor checks after each milestone's own."""
    out = []
    for m in MILESTONES:
        if m not in milestones:
            continue
        for name, points in _rubric()[m]["checks"].items():
            if course is None:
                out.append((m, name, points))
            elif course.enabled(name):
                out.append((m, name, course.points(name, points)))
        if course is not None:
            out += [(m, name, course.points(name, points)) for name, points in operation_checks(m, course.extra_operations)
                    if course.enabled(name)]
            out += [(m, name, course.points(name, 0)) for name, (owner, _) in course.instructor.items()
                    if owner == m and course.enabled(name)]
    return out


OPERATION = "operation"  # the word a per-operation check's name has in place of the operation's


def operation_checks(milestone: str, operations) -> list[tuple[str, float]]:
    """(check name, default points) of the per-operation checks of `milestone` for these
    extra operations, operation by operation (specs/rubric.json: per_operation)."""
    templates = _per_operation().get(milestone, {})
    return [(operation_check(template, op), points) for op in operations for template, points in templates.items()]


def operation_check(template: str, operation: str) -> str:
    return template.replace(OPERATION, operation, 1)


def _per_operation() -> dict:
    data = json.loads((SPECS_DIR / "rubric.json").read_text())
    return {m: checks for m, checks in data.get("per_operation", {}).items() if m in MILESTONES}


def visibility(name: str, course=None) -> str:
    """Who may see the check: visible, after_due_date, after_published or hidden."""
    return course.visibility(name) if course is not None else "visible"
