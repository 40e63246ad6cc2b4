"""Item analysis: for every rubric check, how the class did on it.

Reads the checks and their points from the rubric (one source), and the results from the
graded reports. A check's "pass rate" is the share of graded submissions whose report has
it `passed`. Feedback messages are grouped by their first line: the lines after it name
the program or the numbers of one student's case, which would split one mistake into as
many messages as there are students."""
from collections import Counter
from dataclasses import dataclass, field

from .. import rubric

TOP_MESSAGES = 3


@dataclass
class Item:
    milestone: str
    name: str
    points: float
    graded: int = 0          # graded reports that hold this check
    passed: int = 0
    messages: list = field(default_factory=list)  # [(first line, count)], most common first

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def feedback_key(feedback: str) -> str:
    for line in (feedback or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def item_analysis(reports, milestones) -> list:
    """One Item per rubric check of `milestones`, the checks the class fails most first
    (lowest pass rate, then more points at stake, then rubric order)."""
    items = [Item(m, name, pts) for m, name, pts in rubric.checks(milestones)]
    by_key = {(i.milestone, i.name): i for i in items}
    counters = {key: Counter() for key in by_key}
    for report in reports:
        for t in report["tests"]:
            key = (t["milestone"], t["name"])
            if key not in by_key:
                continue  # a check no longer in the rubric: a report from another kit version
            item = by_key[key]
            item.graded += 1
            if t["status"] == "passed":
                item.passed += 1
            else:
                counters[key][feedback_key(t["feedback"]) or f"(no feedback; {t['status']})"] += 1
    for key, item in by_key.items():
        # most_common keeps first-seen order among ties; sort ties by text for determinism
        item.messages = sorted(counters[key].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MESSAGES]
    order = {key: n for n, key in enumerate(by_key)}
    graded = [i for i in items if i.graded]
    return sorted(graded, key=lambda i: (i.pass_rate, -i.points, order[(i.milestone, i.name)]))
