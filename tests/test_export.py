"""Renderers of a score report (Gradescope, Markdown, JUnit, CSV, terminal table) and
`micrograde export`. Reports are built here, valid against the schema, so these tests
do not depend on the grading engine."""
import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from corpus import cli_error_line
from micrograde.course import DEFAULT as DEFAULT_COURSE
from micrograde.cli import main
from micrograde.report import validate_report, write_report
from micrograde.report import csv_row, gradescope, junit, markdown
from micrograde.report.table import render_table

LIMITS = {"memory_mb": 512, "cpu_seconds": 60, "file_size_mb": 10, "processes": 8, "open_files": 64,
          "output_kb": 16, "probe_timeout_s": 10, "run_timeout_s": 300}


def check(name, milestone, score, max_score, status, feedback="", **extra):
    return {"name": name, "milestone": milestone, "score": score, "max_score": max_score,
            "status": status, "feedback": feedback, "duration_s": extra.pop("duration_s", 0.25), **extra}


def make_report(tests=None, **over):
    tests = tests if tests is not None else [
        check("test_add_forward", "m1", 2, 2, "passed"),
        check("test_mul_backward", "m1", 0, 3, "failed",
              "a * b: expected a.grad == 2.0, got 1.0\n```python\na = Value(1.0)\n```",
              output="debug print \x1b[31mred\x1b[0m | pipe \x00 nul"),
        check("test_backward_dag", "m2", 0, 5, "timeout", "Value.backward() did not return within 10 s",
              duration_s=10.0),
        check("test_tanh_backward", "m2", 0, 1, "error", "ZeroDivisionError: float division by zero\n  engine.py:42"),
        check("test_gradcheck", "m2", 0, 2, "missing", "micrograd.gradcheck.gradcheck is missing"),
        check("test_deep_graph", "m2", 1.5, 1.5, "passed", warning="RecursionError at 1000000 nodes"),
    ]
    milestones = {}
    for t in tests:
        m = milestones.setdefault(t["milestone"], {"score": 0, "max_score": 0})
        m["score"] += t["score"]
        m["max_score"] += t["max_score"]
    report = {
        "kit_version": "0.1.0", "created": "2024-05-01T12:00:00Z", "seed": 1234, "status": "complete",
        "submission": {"path": "/subs/alice", "sha256": "ab" * 32}, "limits": LIMITS,
        "score": sum(t["score"] for t in tests), "max_score": sum(t["max_score"] for t in tests),
        "milestones": milestones, "tests": tests, "duration_s": 12.3,
        "integrity": [], "integrity_policy": "report", "course": {"name": "default", "sha256": DEFAULT_COURSE.sha256},
    }
    report.update(over)
    validate_report(report)  # the fixtures themselves must be real reports
    return report


# --- Gradescope ----------------------------------------------------------------------

def test_gradescope_has_the_documented_fields_and_types():
    report = make_report()
    res = gradescope.to_results(report)
    assert res["score"] == report["score"] == 3.5
    assert isinstance(res["execution_time"], int) and res["execution_time"] >= 12
    assert isinstance(res["output"], str) and "3.5 / 14.5" in res["output"]
    assert res["stdout_visibility"] in gradescope.VISIBILITIES
    assert "max_score" not in res  # not a documented top-level field
    assert len(res["tests"]) == len(report["tests"])
    for t, src in zip(res["tests"], report["tests"]):
        assert set(t) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                          "output_format", "tags", "visibility", "extra_data"}
        assert isinstance(t["name"], str) and src["name"] in t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert t["status"] in ("passed", "failed")
        assert (t["status"] == "passed") == (src["status"] == "passed")
        assert isinstance(t["output"], str) and t["output"]
        assert t["visibility"] == "visible"
        assert all(isinstance(tag, str) for tag in t["tags"])
    assert sum(t["score"] for t in res["tests"]) == res["score"]
    assert [t["number"] for t in res["tests"]] == ["1.1", "1.2", "2.1", "2.2", "2.3", "2.4"]
    # what the student needs: the feedback, the warning and their own output
    by_name = {t["name"]: t for t in res["tests"]}
    assert "expected a.grad == 2.0" in by_name["m1 test_mul_backward"]["output"]
    assert "debug print" in by_name["m1 test_mul_backward"]["output"]
    assert "RecursionError" in by_name["m2 test_deep_graph"]["output"]
    json.loads(gradescope.render(report))


def test_gradescope_visibility_is_checked():
    assert gradescope.to_results(make_report(), visibility="after_published")["tests"][0]["visibility"] == "after_published"
    with pytest.raises(ValueError):
        gradescope.to_results(make_report(), visibility="secret")


def test_gradescope_says_when_the_run_was_incomplete():
    out = gradescope.to_results(make_report(status="incomplete", note="grading interrupted"))["output"]
    assert "did not finish" in out and "grading interrupted" in out


# --- Markdown ------------------------------------------------------------------------

def test_markdown_has_total_milestone_table_and_failed_feedback():
    md = markdown.render(make_report())
    lines = md.splitlines()
    assert lines[0] == "## micrograde: 3.5 / 14.5 points"
    header = lines.index("| Milestone | Points | Max | Checks passed |")
    assert lines[header + 1] == "|---|---:|---:|---:|"
    assert lines[header + 2] == "| m1 | 2 | 5 | 1/2 |"
    assert lines[header + 3] == "| m2 | 1.5 | 9.5 | 1/4 |"
    assert lines[header + 4] == "| **Total** | **3.5** | **14.5** | 2/6 |"
    assert "### m1" in lines and "### m2" in lines
    assert "| `test_backward_dag` | timeout | 0 / 5 |" in lines
    lost = md[md.index("### Checks that lost points"):]
    for name in ("test_mul_backward", "test_backward_dag", "test_tanh_backward", "test_gradcheck"):
        assert name in lost
    assert "test_add_forward" not in lost
    # the feedback contains ``` itself, so its block needs a longer fence to stay one block
    assert "````text\na * b: expected a.grad == 2.0, got 1.0\n```python\na = Value(1.0)\n```\n````" in md
    assert "RecursionError at 1000000 nodes" in md[md.index("### Warnings"):]
    # the student's terminal colour codes and NUL show as escapes, not raw control bytes
    assert "\\x1b[31mred" in md and "\\x00" in md
    assert "\x1b" not in md and "\x00" not in md


def test_markdown_cuts_huge_output():
    tests = [check("test_x", "m1", 0, 1, "failed", "wrong", output="y" * 60000)]
    md = markdown.render(make_report(tests))
    assert len(md) < 5000 and "more characters cut" in md


# --- JUnit ---------------------------------------------------------------------------

def test_junit_is_valid_xml_with_the_right_counts():
    text = junit.render(make_report())
    root = ET.fromstring(text.encode("utf-8"))  # fails on invalid XML (e.g. a raw NUL)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("6", "2", "2", "0")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["m1", "m2"]
    m1, m2 = suites["m1"], suites["m2"]
    assert (m1.get("tests"), m1.get("failures"), m1.get("errors")) == ("2", "1", "0")
    assert (m2.get("tests"), m2.get("failures"), m2.get("errors")) == ("4", "1", "2")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == 6
    assert cases["test_add_forward"].find("failure") is None and cases["test_add_forward"].find("error") is None
    assert cases["test_mul_backward"].find("failure").get("type") == "failed"
    assert cases["test_gradcheck"].find("failure").get("type") == "missing"
    assert cases["test_backward_dag"].find("error").get("type") == "timeout"
    assert cases["test_tanh_backward"].find("error").get("message").startswith("ZeroDivisionError")
    assert cases["test_backward_dag"].get("time") == "10.000"
    out = cases["test_mul_backward"].find("system-out").text
    assert "\\x1b[31m" in out and "\\x00" in out  # control characters kept visible, not raw
    props = {p.get("name"): p.get("value") for p in m1.iter("property")}
    assert props["seed"] == "private" and props["score"] == "2"


# --- CSV and terminal table ----------------------------------------------------------

def test_csv_is_one_gradebook_row():
    rows = list(csv.DictReader(io.StringIO(csv_row.render(make_report()))))
    assert rows == [{"submission": "alice", "score": "3.5", "max_score": "14.5", "m1": "2", "m2": "1.5",
                     "status": "complete", "integrity": "", "source": "alice"}]


def test_csv_row_for_a_submission_that_could_not_be_graded():
    row = csv_row.row(None, submission="bob", milestones=["m1", "m2"], status="bad_zip: not a valid zip file")
    assert row == {"submission": "bob", "score": "", "max_score": "", "m1": "", "m2": "",
                   "status": "bad_zip: not a valid zip file", "integrity": "", "source": "bob"}


def test_table_lists_every_check_and_the_totals():
    text = render_table(make_report())
    for name in ("test_add_forward", "test_mul_backward", "test_backward_dag", "test_gradcheck"):
        assert name in text
    assert "3.5 / 14.5" in text and "1.5 / 9.5" in text


# --- micrograde export ---------------------------------------------------------------

@pytest.fixture
def report_file(tmp_path):
    path = tmp_path / "report.json"
    write_report(make_report(), path)
    return path


@pytest.mark.parametrize("fmt,parse", [
    ("gradescope", json.loads),
    ("junit", lambda s: ET.fromstring(s.encode())),
    ("csv", lambda s: list(csv.DictReader(io.StringIO(s)))),
    ("markdown", lambda s: s.startswith("## micrograde:") or pytest.fail("not the markdown report")),
])
def test_export_to_stdout_and_file(report_file, tmp_path, capsys, fmt, parse):
    assert main(["export", str(report_file), "--format", fmt]) == 0
    stdout = capsys.readouterr().out
    parse(stdout)
    target = tmp_path / "out" / f"export.{fmt}"
    assert main(["export", str(report_file), "--format", fmt, "--output", str(target)]) == 0
    assert target.read_text() == stdout


def test_export_unknown_format(report_file, capsys):
    assert main(["export", str(report_file), "--format", "pdf"]) == 2
    assert "unknown format 'pdf'" in cli_error_line(capsys, "export")


@pytest.mark.parametrize("content,expected", [
    (None, "no report at"),
    ("{not json", "is not JSON"),
    ("[1, 2]", "not a micrograde report"),
    (json.dumps({"score": 1}), "not valid"),
])
def test_export_malformed_report(tmp_path, capsys, content, expected):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    assert main(["export", str(path), "--format", "markdown"]) == 2
    assert expected in cli_error_line(capsys, "export")


def test_export_schema_violation_is_located(tmp_path, capsys):
    report = make_report()
    report["tests"][0]["status"] = "great"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert main(["export", str(path), "--format", "junit"]) == 2
    assert "tests/0/status" in cli_error_line(capsys, "export")


# --- What students may read -----------------------------------------------------------

def test_student_visible_exports_show_no_private_seed():
    report = make_report(seed=918273645)
    texts = [gradescope.render(report), markdown.render(report), junit.render(report)]
    assert not any("918273645" in text for text in texts)
    public = make_report(seed=2026)  # the kit's public seed stays shown: students replay with it
    assert "2026" in gradescope.to_results(public)["output"]


def test_terminal_text_has_no_control_sequence_left():
    from micrograde.report.text import terminal

    shown = terminal("21/25\x1b[2J\x1b[H\rm1  25 / 25\x07\x9b")
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in shown)
    assert "\\x1b[2J" in shown and "\\r" in shown
