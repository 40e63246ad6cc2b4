"""Integrity findings: one record per suspicious construct or event, and the collector.

A finding never changes a score by itself (see `--integrity zero`); it tells an
instructor where to look. The collector keeps findings deduplicated, in a fixed order
(same submission, same findings, same report) and bounded: a submission cannot grow the
report by repeating one construct ten thousand times.
"""
from dataclasses import dataclass

from ..report.text import visible
from . import rules

DETAIL_CHARS = 500
FILE_CHARS = 300
PER_RULE = 10  # findings kept per rule; the last kept one says how many more there were


@dataclass(frozen=True, order=True)
class Finding:
    file: str | None
    line: int | None
    rule: str
    detail: str

    def to_dict(self) -> dict:
        return {"rule": self.rule, "detail": self.detail, "file": self.file, "line": self.line}


def _cut(text: str, limit: int) -> str:
    # Details may quote the submission: escaped (no terminal control codes) and capped.
    text = visible(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def finding(rule: str, detail: str, file: str | None = None, line: int | None = None) -> Finding:
    rules.check(rule)
    line = int(line) if line is not None and int(line) >= 1 else None
    return Finding(None if file is None else _cut(str(file), FILE_CHARS), line, rule,
                   _cut(str(detail), DETAIL_CHARS) or rules.description(rule))


class Findings:
    """A bounded, ordered set of findings."""

    def __init__(self, items=()):
        self._items: set[Finding] = set()
        for item in items:
            self.add_finding(item)

    def add(self, rule: str, detail: str, file: str | None = None, line: int | None = None) -> None:
        self._items.add(finding(rule, detail, file, line))

    def add_finding(self, item: Finding) -> None:
        self._items.add(item)

    def extend(self, other) -> None:
        for item in (other._items if isinstance(other, Findings) else other):
            self.add_finding(item)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(sorted(self._items, key=_order))

    def to_list(self) -> list[dict]:
        """The findings as report entries: runtime evidence first, then by file and line;
        at most PER_RULE per rule."""
        kept, extra = [], {}
        per_rule: dict[str, list] = {}
        for item in self:
            bucket = per_rule.setdefault(item.rule, [])
            if len(bucket) < PER_RULE:
                bucket.append(item)
                kept.append(item)
            else:
                extra[item.rule] = extra.get(item.rule, 0) + 1
        out = []
        for item in kept:
            entry = item.to_dict()
            if item.rule in extra and item is per_rule[item.rule][-1]:
                entry["detail"] = _cut(f"{item.detail} (and {extra[item.rule]} more like this)", DETAIL_CHARS)
            out.append(entry)
        return out


def _order(item: Finding):
    return (item.file is not None, item.file or "", item.line or 0, item.rule, item.detail)


# Runtime evidence recorded in this grading process (one pytest run grades one submission).
# The worker's client adds to it through record(); the report takes it in when written.
RUNTIME = Findings()


def record(rule: str, detail: str, file: str | None = None, line: int | None = None) -> None:
    """Add runtime evidence (for example, the worker's protocol state found changed)."""
    RUNTIME.add(rule, detail, file, line)
