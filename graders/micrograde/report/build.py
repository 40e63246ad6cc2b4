"""Assembling a report from check results: fail closed, every rubric check present."""
import datetime

from .. import __version__
from .. import rubric
from ..course import DEFAULT as DEFAULT_COURSE
from ..untrusted import cap, without_addresses

NO_RESULT = "this check produced no result: grading stopped before it ran (see the report's note)"
INTEGRITY_POLICIES = ("report", "zero")
ZEROED = "scored 0: flagged for review under the integrity policy \"zero\""


def result(status: str, feedback: str = "", duration_s: float = 0.0, output: str = "", warning: str = "") -> dict:
    # Feedback and output carry the submission's own text: capped, and its objects' addresses
    # masked, here, where every check's result is made, whatever path the text took to get here.
    entry = {"status": status, "feedback": without_addresses(cap(feedback)),
             "duration_s": round(max(duration_s, 0.0), 3)}
    if output:
        entry["output"] = without_addresses(cap(output))
    if warning:
        entry["warning"] = without_addresses(cap(warning))
    return entry


def build_report(*, results: dict, milestones, seed: int, submission_path: str, sha256: str,
                 limits: dict, duration_s: float, note: str = "", integrity=(),
                 integrity_policy: str = "report", layout: dict | None = None, course=None,
                 grading_key: str | None = None, enforcement: dict | None = None) -> dict:
    """`integrity`: finding entries (micrograde.integrity.Findings.to_list()). Under the
    "zero" policy a flagged submission scores 0 on every check; statuses and feedback stay,
    so the instructor still sees what the code did."""
    if integrity_policy not in INTEGRITY_POLICIES:
        raise ValueError(f"integrity policy must be one of {', '.join(INTEGRITY_POLICIES)}, not {integrity_policy!r}")
    integrity = list(integrity)
    zeroed = integrity_policy == "zero" and bool(integrity)
    tests, totals = [], {}
    complete = True
    for milestone, name, points in rubric.checks(milestones, course):
        got = results.get(name)
        if got is None:
            complete = False
            got = result("error", NO_RESULT)
        score = points if got["status"] == "passed" and not zeroed else 0
        entry = {"name": name, "milestone": milestone, "score": score, "max_score": points, **got}
        seen = rubric.visibility(name, course)
        if seen != "visible":  # said only where it differs: a default course's report is as before
            entry["visibility"] = seen
        tests.append(entry)
        total = totals.setdefault(milestone, {"score": 0, "max_score": 0})
        total["score"] += score
        total["max_score"] += points
    report = {
        "kit_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "status": "complete" if complete else "incomplete",
        "submission": {"path": submission_path, "sha256": sha256},
        "limits": limits,
        "score": sum(t["score"] for t in totals.values()),
        "max_score": sum(t["max_score"] for t in totals.values()),
        "milestones": totals,
        "tests": tests,
        "duration_s": round(duration_s, 3),
        "integrity": integrity,
        "integrity_policy": integrity_policy,
        "course": (course or DEFAULT_COURSE).report(),
    }
    if layout is not None:
        report["layout"] = layout
    if grading_key is not None:
        report["grading_key"] = grading_key
    if enforcement is not None:
        report["enforcement"] = enforcement
    if zeroed:
        note = f"{note}; {ZEROED}" if note else ZEROED
    if note:
        report["note"] = note
    return report
