"""The gradebook's columns, defined once: `micrograde export --format csv` and the batch
gradebook both build their rows here, so a single report and a batch line up."""
import csv
import io
from pathlib import PurePath

from ..rubric import MILESTONES


def columns(milestones) -> list:
    # integrity and source last: readers that count columns from the left keep working.
    return ["submission", "score", "max_score", *milestones, "status", "integrity", "source"]


def number(x) -> str:
    """Points as a spreadsheet reads them: 10 rather than 10.0, and no float noise."""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(round(x, 4))


def submission_name(report: dict) -> str:
    path = report["submission"]["path"]
    # A report written on Windows may carry backslashes; take the last component either way.
    return PurePath(path.replace("\\", "/")).name or path


def integrity_summary(report: dict) -> str:
    """The gradebook's `integrity` cell: empty when clean, else each rule found with its count,
    e.g. "kit_import; patch_modules x2" (the findings themselves are in the report)."""
    counts = {}
    for f in report.get("integrity", []):
        counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    return "; ".join(rule if n == 1 else f"{rule} x{n}" for rule, n in sorted(counts.items()))


def row(report, *, submission, milestones, status=None, source=None) -> dict:
    """One gradebook row. `report` is None for a submission that could not be graded
    (broken zip, no package found...): its scores stay empty and `status` says why.
    `source`: the entry the submission came from, as handed in (default: `submission`)."""
    out = dict.fromkeys(columns(milestones), "")
    out["submission"] = submission
    if report is not None:
        out["score"] = number(report["score"])
        out["max_score"] = number(report["max_score"])
        for m in milestones:
            if m in report["milestones"]:
                out[m] = number(report["milestones"][m]["score"])
    out["status"] = status or (report["status"] if report is not None else "not graded")
    out["integrity"] = integrity_summary(report) if report is not None else ""
    out["source"] = submission if source is None else source
    return out


def to_csv(rows, milestones) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(milestones), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def report_milestones(report: dict) -> list:
    return [m for m in MILESTONES if m in report["milestones"]]


def render(report: dict) -> str:
    """A one-row gradebook (header line + row) for a single report."""
    ms = report_milestones(report)
    return to_csv([row(report, submission=submission_name(report), milestones=ms)], ms)
