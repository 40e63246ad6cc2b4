"""The student flow, as a student runs it, with the interpreter running this script (the
kit installed in it): `pytest graders/m1` on the reference (full marks), the template (0),
a submission whose `__repr__` hangs (a timeout for its check, nothing else lost) and one
whose `__rtruediv__` kills its process (its check fails closed, nothing else lost); the
reference again through the portable platform path (MICROGRADE_PLATFORM=portable, what
macOS and Windows take: the same verdicts, and the note saying isolation is reduced);
then, unless --quick, a full grade of the reference.

Plain standard library, no shell: the kit's own GitHub workflow runs it on Linux, macOS
and Windows runners, and .ci/student-flow in a fresh venv of every Python installed here.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
REDUCED = "local run: reduced isolation on this system; the official grade runs isolated"
REPR, RTRUEDIV = "test_repr_shows_data_and_grad", "test_rtruediv_number_on_the_left"
# Random graphs may or may not use the broken operator: they may lose points, nothing else.
BY_CHANCE = {"test_random_arithmetic_graphs_have_exact_local_gradients"}


def patched_reference(folder: Path, method: str, code: str) -> Path:
    """A copy of the reference whose `method` runs `code` first."""
    shutil.copytree(KIT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    engine = folder / "micrograd" / "engine.py"
    text, count = re.subn(rf"(\n    def {re.escape(method)}\(self[^\n]*\n)", rf"\g<1>        {code}\n",
                          engine.read_text())
    assert count == 1, f"{method} is not defined once in the reference's engine"
    engine.write_text(text)
    return folder


def student_flow(target: str, submission: Path, report: Path, *options, env=None):
    """`pytest graders/TARGET --submission ...`: its terminal output and its report."""
    result = subprocess.run([sys.executable, "-m", "pytest", f"graders/{target}".rstrip("/"),
                             "--submission", str(submission), "--report", str(report), *options],
                            cwd=KIT, capture_output=True, timeout=1200, env={**os.environ, **(env or {})},
                            # whatever the console's code page, the words we look for are ASCII
                            encoding="utf-8", errors="replace")
    if result.returncode not in (0, 1) or not report.exists():
        sys.exit(f"pytest graders/{target} on {submission.name} ended with status {result.returncode}:\n"
                 f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    data = json.loads(report.read_text())
    from micrograde.report import validate_report

    validate_report(data)
    return result, data


def verdicts(report) -> dict:
    return {t["name"]: (t["status"], t["score"]) for t in report["tests"]}


def lost_checks(report) -> set:
    return {t["name"] for t in report["tests"] if t["score"] < t["max_score"]}


def check(condition: bool, what: str, report=None) -> None:
    if not condition:
        lost = [f"  {t['name']} [{t['status']}] {t['feedback'][:300]}" for t in (report or {}).get("tests", [])
                if t["score"] < t["max_score"]]
        sys.exit(f"student flow: {what}\n" + "\n".join(lost))
    print(f"  ok: {what}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="m1 only: no full grade of the reference")
    args = parser.parse_args()
    print(f"student flow on Python {sys.version.split()[0]} ({sys.platform})", flush=True)
    # Windows may hold a file of a just-killed worker a moment longer: cleaning up is best effort.
    with tempfile.TemporaryDirectory(prefix="micrograde-flow-", ignore_cleanup_errors=True) as tmp:
        tmp = Path(tmp)
        result, reference = student_flow("m1", KIT / "reference", tmp / "reference.json")
        check(result.returncode == 0 and reference["score"] == reference["max_score"] > 0,
              "the reference gets full marks in m1", reference)
        reduced_here = REDUCED in reference.get("note", "")
        check(result.stdout.count(REDUCED) == int(reduced_here),
              f"the terminal says once whether isolation is reduced here ({'reduced' if reduced_here else 'full'})")

        result, template = student_flow("m1", KIT / "student_template", tmp / "template.json")
        check(result.returncode == 1 and template["score"] == 0 < template["max_score"],
              "the template scores 0 in m1", template)

        hangs = patched_reference(tmp / "hangs", "__repr__", "while True: pass")
        _, report = student_flow("m1", hangs, tmp / "hangs.json", "--probe-timeout-s=3")
        check(verdicts(report)[REPR][0] == "timeout" and lost_checks(report) == {REPR},
              "a hanging __repr__ times out its check and costs nothing else", report)

        crashes = patched_reference(tmp / "crashes", "__rtruediv__", "import os; os._exit(3)")
        _, report = student_flow("m1", crashes, tmp / "crashes.json")
        check(verdicts(report)[RTRUEDIV][0] not in ("passed", "timeout")
              and lost_checks(report) - BY_CHANCE == {RTRUEDIV},
              "a crashing __rtruediv__ fails its check closed and costs nothing else", report)

        result, portable = student_flow("m1", KIT / "reference", tmp / "portable.json",
                                        env={"MICROGRADE_PLATFORM": "portable"})
        check(verdicts(portable) == verdicts(reference), "the portable path gives the reference the same verdicts",
              portable)
        check(REDUCED in portable["note"] and result.stdout.count(REDUCED) == 1,
              "the portable path says once, in the terminal and the report, that isolation is reduced")

        if not args.quick:
            result, everything = student_flow("", KIT / "reference", tmp / "everything.json")
            check(result.returncode == 0 and everything["score"] == everything["max_score"] > 0
                  and set(everything["milestones"]) == {"m1", "m2", "m3", "m4"},
                  "the reference gets full marks in every milestone", everything)
    print("student flow passed")


if __name__ == "__main__":
    main()
