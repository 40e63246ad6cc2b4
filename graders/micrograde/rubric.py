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


def title(milestone: str) -> str:
    """What the milestone covers, e.g. "Value and its operators"."""
    return _rubric()[milestone]["title"]


def checks(milestones=MILESTONES) -> list[tuple[str, str, float]]:
    """(milestone, check name, points), in rubric order."""
    return [(m, name, points) for m in MILESTONES if m in milestones for name, points in _rubric()[m]["checks"].items()]
