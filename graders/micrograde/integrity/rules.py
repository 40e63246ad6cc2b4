"""The integrity rules, read from their one source: `$defs/integrity_rule` in the report schema.

The schema validates every report's findings against the same catalogue, so a rule
that exists here exists there, with the same meaning, and the dashboard can read it too.
"""
import functools
import json

from ..spec import SPECS_DIR


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict:
    schema = json.loads((SPECS_DIR / "report.schema.json").read_text())
    return {entry["const"]: entry for entry in schema["$defs"]["integrity_rule"]["anyOf"]}


def names() -> list[str]:
    return list(_catalogue())


def description(rule: str) -> str:
    return _catalogue()[rule]["description"]


def kind(rule: str) -> str:
    """Where a rule's evidence comes from: "static", "runtime" or "contradiction"."""
    return _catalogue()[rule]["$comment"]


def check(rule: str) -> str:
    """`rule` itself; a name missing from the catalogue is a bug in the kit, not in the submission."""
    if rule not in _catalogue():
        raise ValueError(f"unknown integrity rule {rule!r}: add it to $defs/integrity_rule in specs/report.schema.json")
    return rule
