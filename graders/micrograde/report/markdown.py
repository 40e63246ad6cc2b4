"""A report as Markdown for a CI job summary ($GITHUB_STEP_SUMMARY): the total, a points
table per milestone, and the feedback of every check that lost points. Students read it:
checks their course does not show yet (report/text.py: student_view) are left out."""
import re

from ..rubric import MILESTONES
from .csv_row import number
from .text import FLAGGED, flagged, seed_label, student_view, visible

# GitHub caps a step summary at 1 MiB; long captured output is cut so feedback still fits.
OUTPUT_LIMIT = 2000


def _cell(text: str) -> str:
    return visible(text).replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks inside `text`, so feedback that
    itself contains ``` cannot close the block early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _code_block(text: str) -> list:
    text = visible(text)
    fence = _fence(text)
    return [f"{fence}text", text.rstrip("\n"), fence, ""]


def _table(header, rows, align) -> list:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines + [""]


def render(report: dict) -> str:
    report = student_view(report)  # students read it: checks not visible yet are left out
    out = [f"## micrograde: {number(report['score'])} / {number(report['max_score'])} points", ""]
    out.append(f"Kit {report['kit_version']} · seed {seed_label(report['seed'])} · "
               f"submission `{report['submission']['sha256'][:12]}` · "
               f"{report['duration_s']:.1f} s")
    out.append("")
    if report["status"] != "complete":
        out += ["> **Warning:** the grading run did not finish; checks without a result score 0.", ""]
    if report.get("note"):
        out += [f"> {_cell(report['note'])}", ""]
    if flagged(report):
        out += [f"> **{FLAGGED}**", ""]  # a student-facing summary: never the findings themselves

    milestones = [m for m in MILESTONES if m in report["milestones"]]
    by_m = {m: [t for t in report["tests"] if t["milestone"] == m] for m in milestones}
    rows = []
    for m in milestones:
        tot = report["milestones"][m]
        passed = sum(t["status"] == "passed" for t in by_m[m])
        rows.append([m, number(tot["score"]), number(tot["max_score"]), f"{passed}/{len(by_m[m])}"])
    passed = sum(t["status"] == "passed" for t in report["tests"])
    rows.append(["**Total**", f"**{number(report['score'])}**", f"**{number(report['max_score'])}**",
                 f"{passed}/{len(report['tests'])}"])
    out += _table(["Milestone", "Points", "Max", "Checks passed"], rows, ["---", "---:", "---:", "---:"])

    for m in milestones:
        out += [f"### {m}", ""]
        rows = [[f"`{t['name']}`", t["status"], f"{number(t['score'])} / {number(t['max_score'])}"]
                for t in by_m[m]]
        out += _table(["Check", "Status", "Points"], rows, ["---", "---", "---:"])

    lost = [t for t in report["tests"] if t["status"] != "passed"]
    if lost:
        out += ["### Checks that lost points", ""]
        for t in lost:
            out += [f"#### {t['milestone']} · `{t['name']}` ({t['status']}, "
                    f"{number(t['score'])} / {number(t['max_score'])})", ""]
            out += _code_block(t["feedback"] or f"(no feedback; status {t['status']})")
            if t.get("warning"):
                out += [f"Warning: {_cell(t['warning'])}", ""]
            if t.get("output"):
                text = t["output"]
                if len(text) > OUTPUT_LIMIT:
                    text = text[:OUTPUT_LIMIT] + f"\n... ({len(t['output']) - OUTPUT_LIMIT} more characters cut)"
                out += ["Output of your code:", ""] + _code_block(text)
    warned = [t for t in report["tests"] if t["status"] == "passed" and t.get("warning")]
    if warned:
        out += ["### Warnings", ""]
        out += [f"- {t['milestone']} · `{t['name']}`: {_cell(t['warning'])}" for t in warned] + [""]
    return "\n".join(out)
