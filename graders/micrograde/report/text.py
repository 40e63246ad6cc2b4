"""Making captured text safe to embed: student output can hold terminal colour codes,
NUL bytes or lone surrogates, which XML cannot carry at all and which garble Markdown."""
import re

from ..spec import DEFAULT_SEED

# C0 controls except tab/newline/CR, DEL and C1 controls, lone surrogates, U+FFFE/U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def visible(text) -> str:
    """`text` with unprintable characters written as escapes (\\x1b, \\ud800), so what
    was there stays readable."""
    def esc(m):
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    return _UNPRINTABLE.sub(esc, str(text))


def terminal(text) -> str:
    """`visible`, and a carriage return escaped too: on a terminal it rewinds the line, and
    what follows could overwrite the points table the line belongs to."""
    return visible(text).replace("\r", "\\r")


def seed_label(seed) -> str:
    """The seed as exports that students may read show it: the kit's public seed by its
    number, any other one as "private" (knowing it, a student could replay the official
    examples in advance). The report itself keeps the number, for the instructor."""
    return str(seed) if seed == DEFAULT_SEED else "private"


# What a student-facing export says about integrity findings: that they exist, nothing more.
FLAGGED = "Flagged for review: your instructor will look at this submission before the grade is final."


def flagged(report: dict) -> bool:
    return bool(report.get("integrity"))


def visibility_of(test: dict) -> str:
    """Who may see a check (the course sets it; absent: visible)."""
    return test.get("visibility", "visible")


def student_view(report: dict, shown=("visible",)) -> dict:
    """The report as a student may read it now: only the checks whose visibility is in
    `shown`, with the totals of those (what is withheld is counted, never named). The
    report itself keeps every check: the official grade counts them all."""
    tests = [t for t in report["tests"] if visibility_of(t) in shown]
    if len(tests) == len(report["tests"]):
        return report
    totals = {}
    for m in report["milestones"]:
        mine = [t for t in tests if t["milestone"] == m]
        totals[m] = {"score": sum(t["score"] for t in mine), "max_score": sum(t["max_score"] for t in mine)}
    withheld = len(report["tests"]) - len(tests)
    note = f"{withheld} more check{'s are' if withheld != 1 else ' is'} graded but not shown here yet"
    return {**report, "tests": tests, "milestones": totals, "score": sum(t["score"] for t in totals.values()),
            "max_score": sum(t["max_score"] for t in totals.values()),
            "note": f"{report['note']}; {note}" if report.get("note") else note}
