"""A report as Gradescope's autograder results.json.

Fields follow Gradescope's documented format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level `score`,
`execution_time` (seconds), `output`, `stdout_visibility`, `tests`; each test with `name`,
`number`, `score`, `max_score`, `status` ("passed" or "failed"), `output`, `tags`,
`visibility` ("hidden", "after_due_date", "after_published" or "visible")."""
import json
import math

from ..rubric import MILESTONES
from .csv_row import number
from .text import FLAGGED, flagged, seed_label, student_view, visible

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def _test_output(test: dict) -> str:
    parts = [test["feedback"]] if test["feedback"] else []
    if test.get("warning"):
        parts.append(f"Warning: {test['warning']}")
    if test.get("output"):
        parts.append("Output of your code:\n" + test["output"])
    if not parts:
        parts.append("Passed." if test["status"] == "passed" else f"Status: {test['status']}.")
    return visible("\n\n".join(parts))


def _summary(report: dict) -> str:
    report = student_view(report)  # the totals of what students see: no hidden check's points either
    lines = [f"micrograde {report['kit_version']}, seed {seed_label(report['seed'])}: "
             f"{number(report['score'])} / {number(report['max_score'])} points."]
    for m in MILESTONES:
        if m in report["milestones"]:
            t = report["milestones"][m]
            lines.append(f"  {m}: {number(t['score'])} / {number(t['max_score'])}")
    if report["status"] != "complete":
        lines.append("The grading run did not finish: checks without a result score 0.")
    if report.get("note"):
        lines.append(report["note"])
    if flagged(report):
        lines.append(FLAGGED)  # students see that, never which findings: the instructor reads the report
    return "\n".join(lines)


def to_results(report: dict, visibility: str = "visible") -> dict:
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    tests = []
    counters = {}
    for test in report["tests"]:
        m = test["milestone"]
        counters[m] = counters.get(m, 0) + 1
        tests.append({
            "name": f"{m} {test['name']}",
            # Gradescope orders and labels tests by `number`: "2.3" = third check of m2.
            "number": f"{m[1:]}.{counters[m]}",
            "score": test["score"],
            "max_score": test["max_score"],
            # Gradescope knows only passed/failed; the finer status stays visible as a tag.
            "status": "passed" if test["status"] == "passed" else "failed",
            "output": _test_output(test),
            "tags": [m, test["status"]],
            # The course's per-check visibility; the run's default for the others.
            "visibility": test.get("visibility", visibility),
        })
    return {
        "score": report["score"],
        # Documented as seconds; the example is whole, so round up rather than send 0.
        "execution_time": math.ceil(report["duration_s"]),
        "output": _summary(report),
        # run_autograder's stdout is grader chatter: instructors see it, students need not.
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def render(report: dict) -> str:
    return json.dumps(to_results(report), indent=2) + "\n"
