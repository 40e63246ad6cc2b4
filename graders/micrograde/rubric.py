"""Points per check, from specs/rubric.json: the list of checks every report must contain."""
import functools
import json

from .spec import SPECS_DIR

MILESTONES = ("m1", "m2", "m3", "m4")


@functools.lru_cache(maxsize=1)
def load_rubric() -> dict:
    rubric = json.loads((SPECS_DIR / "rubric.json").read_text())
    return {m: rubric[m]["checks"] for m in MILESTONES}


def checks(milestones=MILESTONES) -> list[tuple[str, str, float]]:
    """(milestone, check name, points), in rubric order."""
    rubric = load_rubric()
    return [(m, name, points) for m in MILESTONES if m in milestones for name, points in rubric[m].items()]


def points(milestone: str, name: str) -> float:
    return load_rubric()[milestone][name]
