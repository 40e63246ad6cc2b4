"""A report as a plain-text table for the terminal (printed at the end of a grading run)."""
from tabulate import tabulate

from ..rubric import MILESTONES
from .csv_row import number


def shown_status(test: dict) -> str:
    """A passed check that carries a warning (recursion on deep graphs, say) shows as one."""
    return "warning" if test["status"] == "passed" and test.get("warning") else test["status"]


def render_table(report: dict) -> str:
    rows = [[t["milestone"], t["name"], shown_status(t), f"{number(t['score'])} / {number(t['max_score'])}"]
            for t in report["tests"]]
    checks = tabulate(rows, headers=["Milestone", "Check", "Status", "Points"], tablefmt="simple")
    totals = [[m, f"{number(report['milestones'][m]['score'])} / {number(report['milestones'][m]['max_score'])}"]
              for m in MILESTONES if m in report["milestones"]]
    totals.append(["total", f"{number(report['score'])} / {number(report['max_score'])}"])
    summary = tabulate(totals, headers=["Milestone", "Points"], tablefmt="simple")
    tail = "" if report["status"] == "complete" else "\nThe grading run did not finish: checks without a result score 0."
    return f"{checks}\n\n{summary}{tail}"


def integrity_lines(report: dict) -> list[str]:
    """One line per integrity finding, for instructors' text outputs (terminal, logs)."""
    lines = []
    for f in report["integrity"]:
        where = "" if f["file"] is None else f"{f['file']}:{f['line']}: " if f["line"] else f"{f['file']}: "
        lines.append(f"{f['rule']}: {where}{f['detail']}")
    return lines
