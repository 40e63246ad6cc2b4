"""Deciding whether a submission's existing report can be reused.

A report records what it was graded from: the submission's content hash, the kit
version, the seed, the milestones, the integrity policy and the course pack's content hash.
So the report on disk *is* the cache entry: it is reused exactly when those six match the present run and the run was complete. A report
is written atomically after its grading ends, so a batch killed halfway leaves every
finished report reusable and no half-written one."""
from ..course import DEFAULT as DEFAULT_COURSE
from ..errors import ReportError
from ..report import load_report
from ..rubric import MILESTONES


def wanted_key(sha256: str, kit_version: str, seed: int, milestones, integrity_policy: str = "report",
               course_sha256: str = DEFAULT_COURSE.sha256) -> tuple:
    return (sha256, kit_version, seed, tuple(sorted(milestones or MILESTONES)), integrity_policy, course_sha256)


def report_key(report: dict) -> tuple:
    return (report["submission"]["sha256"], report["kit_version"], report["seed"],
            tuple(sorted(report["milestones"])), report["integrity_policy"], report["course"]["sha256"])


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
