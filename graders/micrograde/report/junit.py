"""A report as JUnit XML for CI test viewers: one <testsuite> per milestone, one
<testcase> per check. failed and missing checks are <failure>s (the submission is wrong or
incomplete: points lost); error and timeout checks are <error>s (the code crashed or hung).
No micrograde status means "not run", so <skipped> is never emitted."""
import xml.etree.ElementTree as ET

from ..rubric import MILESTONES
from .csv_row import integrity_summary, number
from .table import integrity_lines
from .text import seed_label, student_view, visible as clean

FAILURE = {"failed", "missing"}
ERROR = {"error", "timeout"}

def _body(test: dict) -> str:
    parts = [test["feedback"]]
    if test.get("warning"):
        parts.append(f"Warning: {test['warning']}")
    return clean("\n\n".join(p for p in parts if p))


def _counts(tests) -> dict:
    return {
        "tests": str(len(tests)),
        "failures": str(sum(t["status"] in FAILURE for t in tests)),
        "errors": str(sum(t["status"] in ERROR for t in tests)),
        "skipped": "0",
        "time": f"{sum(t['duration_s'] for t in tests):.3f}",
    }


def to_element(report: dict) -> ET.Element:
    report = student_view(report)  # CI test viewers are students' too: checks not visible yet are left out
    root = ET.Element("testsuites", {"name": "micrograde", **_counts(report["tests"])})
    for m in MILESTONES:
        if m not in report["milestones"]:
            continue
        tests = [t for t in report["tests"] if t["milestone"] == m]
        suite = ET.SubElement(root, "testsuite", {"name": m, **_counts(tests)})
        props = ET.SubElement(suite, "properties")
        for key, value in (("kit_version", report["kit_version"]), ("seed", seed_label(report["seed"])),
                           ("submission_sha256", report["submission"]["sha256"]),
                           ("score", number(report["milestones"][m]["score"])),
                           ("max_score", number(report["milestones"][m]["max_score"])),
                           ("integrity", integrity_summary(report))):
            ET.SubElement(props, "property", name=key, value=clean(value))
        # Instructors' format: every finding, one property each.
        for line in integrity_lines(report):
            ET.SubElement(props, "property", name="integrity_finding", value=clean(line))
        for t in tests:
            case = ET.SubElement(suite, "testcase", name=t["name"], classname=f"micrograde.{m}",
                                 time=f"{t['duration_s']:.3f}")
            if t["status"] in FAILURE or t["status"] in ERROR:
                tag = "failure" if t["status"] in FAILURE else "error"
                first = (t["feedback"].strip().splitlines() or [t["status"]])[0]
                el = ET.SubElement(case, tag, message=clean(first[:200]), type=t["status"])
                el.text = _body(t)
            if t.get("output"):
                ET.SubElement(case, "system-out").text = clean(t["output"])
    return root


def render(report: dict) -> str:
    root = to_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
