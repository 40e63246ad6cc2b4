"""Class-level statistics of a batch: printed as a table and drawn by plot.py.
A milestone's pass rate is the share of graded submissions with full marks on it."""
import statistics

from tabulate import tabulate

from ..report.csv_row import number


def stats(outcomes, milestones) -> dict:
    reports = [r for _, r, problem in outcomes if r is not None and problem is None]
    per_m = {}
    for m in milestones:
        got = [r["milestones"][m] for r in reports if m in r["milestones"]]
        per_m[m] = {
            "mean": statistics.fmean(g["score"] for g in got) if got else 0.0,
            "max": max((g["max_score"] for g in got), default=0.0),
            "pass_rate": (sum(g["score"] >= g["max_score"] for g in got) / len(got)) if got else 0.0,
        }
    scores = [r["score"] for r in reports]
    return {
        "submissions": len(outcomes),
        "graded": len(reports),
        "not_graded": len(outcomes) - len(reports),
        "scores": scores,
        "max_score": max((r["max_score"] for r in reports), default=0.0),
        "milestones": per_m,
    }


def render(st: dict) -> str:
    s = st["scores"]
    head = [["submissions", st["submissions"]], ["graded", st["graded"]], ["not graded", st["not_graded"]]]
    if s:
        head += [["mean score", f"{statistics.fmean(s):.2f} / {number(st['max_score'])}"],
                 ["median", number(statistics.median(s))], ["min", number(min(s))], ["max", number(max(s))]]
    rows = [[m, f"{v['mean']:.2f} / {number(v['max'])}", f"{100 * v['pass_rate']:.0f}%"]
            for m, v in st["milestones"].items()]
    return (tabulate(head, tablefmt="simple") + "\n\n"
            + tabulate(rows, headers=["milestone", "mean points", "full marks"], tablefmt="simple"))
