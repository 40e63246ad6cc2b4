"""Deciding whether a submission's existing report can be reused.

A report records what it was graded from: the submission's content hash and the digest of
everything else that decides a grade (grading_key: kit code and specs, seed, milestones,
limits, integrity policy, layout file, course). So the report on disk *is* the cache
entry: it is reused exactly when both match the present run and the run was complete. A
report is written atomically after its grading ends, so a batch killed halfway leaves
every finished report reusable and no half-written one."""
from ..errors import ReportError
from ..report import load_report


def wanted_key(sha256: str, grading_key: str) -> tuple:
    return (sha256, grading_key)


def report_key(report: dict) -> tuple:
    # A report without the digest (an older kit's) is never reused.
    return (report["submission"]["sha256"], report.get("grading_key"))


def reusable_report(path, key: tuple):
    """The report at `path` if it was graded under `key` and finished, else None
    (missing, unreadable, invalid, stale, or from an interrupted run)."""
    if not path.exists():
        return None
    try:
        report = load_report(path)
    except ReportError:
        return None
    if report["status"] != "complete" or report_key(report) != key:
        return None
    return report
