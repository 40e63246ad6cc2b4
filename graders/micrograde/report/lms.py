"""Grade-import files for learning management systems, from one column mapping.

- Canvas (Grades > Import): the columns of a Canvas gradebook export. Canvas matches a
  row to a student by `ID` (the Canvas user id) or the SIS columns, and the score column
  by name: a name it does not know becomes a new assignment, so rename ASSIGNMENT's
  column to the existing one's ("micrograd (1234)") to fill that one. The `Points
  Possible` row is the one a Canvas export has.
- Moodle (Grades > Import > CSV file): Moodle asks which column identifies the user and
  which grade item each column fills; map `Identifier` to the username, email or ID
  number the submission folders are named by, `micrograd` to the grade item and
  `micrograd feedback` to its feedback.

The student's identifier is the submission's name (its folder or zip in SRC), except
that a Canvas "download submissions" name (`doejane_12345_67890_file.zip`, or with
`_LATE_`) gives its Canvas user id. A submission that could not be graded gets an empty
score, so an import leaves that student's grade as it was.
"""
import csv
import io
import re

from ..rubric import MILESTONES
from .csv_row import number, submission_name

ASSIGNMENT = "micrograd"
_CANVAS_NAME = re.compile(r"_(?:LATE_)?(\d+)_\d+(?:_|$)")


def canvas_user_id(name: str) -> str:
    m = _CANVAS_NAME.search(name)
    return m.group(1) if m else ""


def feedback(report) -> str:
    """A short, student-safe summary: points per milestone and the checks that lost points.
    Integrity findings are for the instructor and stay out of it."""
    if report is None:
        return "not graded"
    ms = [m for m in MILESTONES if m in report["milestones"]]
    parts = [f"{number(report['score'])} / {number(report['max_score'])} points"]
    parts += [f"{m} {number(report['milestones'][m]['score'])} / {number(report['milestones'][m]['max_score'])}"
              for m in ms]
    lost = [t["name"] for t in report["tests"] if t["score"] < t["max_score"]]
    if lost:
        parts.append(f"{len(lost)} checks lost points, first: {lost[0]}")
    return "; ".join(parts)


# The one mapping: LMS -> [(column header, value of a row)]; a row is (name, report).
COLUMNS = {
    "canvas": [
        ("Student", lambda name, r: name),
        ("ID", lambda name, r: canvas_user_id(name)),
        ("SIS User ID", lambda name, r: ""),
        ("SIS Login ID", lambda name, r: ""),
        ("Section", lambda name, r: ""),
        (ASSIGNMENT, lambda name, r: number(r["score"]) if r is not None else ""),
    ],
    "moodle": [
        ("Identifier", lambda name, r: name),
        (ASSIGNMENT, lambda name, r: number(r["score"]) if r is not None else ""),
        (f"{ASSIGNMENT} feedback", lambda name, r: feedback(r)),
    ],
}


def to_csv(lms: str, rows) -> str:
    """`rows`: (submission name, report or None). Canvas gets its Points Possible row."""
    cols = COLUMNS[lms]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([header for header, _ in cols])
    if lms == "canvas":
        top = max((r["max_score"] for _, r in rows if r is not None), default=None)
        writer.writerow(["Points Possible"] + [""] * (len(cols) - 2) + [number(top) if top is not None else ""])
    for name, report in sorted(rows, key=lambda r: r[0]):
        writer.writerow([value(name, report) for _, value in cols])
    return buf.getvalue()


def render_canvas(report: dict) -> str:
    return to_csv("canvas", [(submission_name(report), report)])


def render_moodle(report: dict) -> str:
    return to_csv("moodle", [(submission_name(report), report)])
