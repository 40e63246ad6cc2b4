"""Integrity findings: the rule catalogue, the collector, and what findings do to a report."""
import csv
import json
import shutil
import subprocess

import pytest

from corpus import REFERENCE, TEMPLATE, grade, patched_reference
from hostile import FAST_LIMITS, FORGE_PROBES_FROM_STUBS
from micrograde import grading, integrity
from micrograde.integrity import rules
from micrograde.errors import ReportError
from micrograde.report import csv_row, gradescope, junit, markdown, validate_report
from micrograde.report.table import integrity_lines as render_table_lines
from micrograde.report.text import FLAGGED
from micrograde.report.build import build_report, result
from micrograde.spec import SPECS_DIR

LIMITS = {"memory_mb": 512, "cpu_seconds": 60, "file_size_mb": 10, "processes": 8, "open_files": 64,
          "output_kb": 16, "probe_timeout_s": 10, "run_timeout_s": 300}


def _report(findings=(), policy="report", results=None):
    results = results if results is not None else {
        "test_neuron_weights_are_uniform_in_minus_one_to_one": result("passed"),
        "test_neuron_weights_are_not_all_equal": result("failed", "all equal"),
    }
    return build_report(results=results, milestones=["m3"], seed=7, submission_path="/s", sha256="0" * 64,
                        limits=LIMITS, duration_s=1.0, integrity=findings, integrity_policy=policy)


def test_rule_names_come_from_the_schema_and_are_unique_snake_case():
    schema = json.loads((SPECS_DIR / "report.schema.json").read_text())
    consts = [r["const"] for r in schema["$defs"]["integrity_rule"]["anyOf"]]
    assert rules.names() == consts and len(set(consts)) == len(consts)
    assert all(c.replace("_", "").isalpha() and c == c.lower() for c in consts)
    assert {rules.kind(c) for c in consts} == {"static", "runtime", "contradiction"}


def test_an_unknown_rule_is_refused_as_a_kit_bug():
    with pytest.raises(ValueError, match="specs/report.schema.json"):
        integrity.finding("no_such_rule", "x")


def test_findings_are_deduplicated_ordered_and_bounded_per_rule():
    found = integrity.Findings()
    for line in range(30, 0, -1):
        found.add("computed_attribute", "getattr with a computed name", "micrograd/engine.py", line)
    found.add("computed_attribute", "getattr with a computed name", "micrograd/engine.py", 3)  # duplicate
    found.add("ctypes", "imports ctypes", "a.py", 1)
    found.add("worker_tampering", "protocol state changed")
    entries = found.to_list()
    assert entries[0] == {"rule": "worker_tampering", "detail": "protocol state changed", "file": None, "line": None}
    assert entries[1]["file"] == "a.py"
    computed = [e for e in entries if e["rule"] == "computed_attribute"]
    assert [e["line"] for e in computed] == list(range(1, integrity.findings.PER_RULE + 1))
    assert computed[-1]["detail"].endswith(f"(and {30 - integrity.findings.PER_RULE} more like this)")


def test_details_are_escaped_and_capped():
    f = integrity.finding("dynamic_code", "exec of \x1b[2J" + "x" * 5000, "m.py", 0)
    assert "\x1b" not in f.detail and "\\x1b" in f.detail
    assert len(f.detail) <= integrity.findings.DETAIL_CHARS and f.line is None


def test_a_report_carries_its_findings_and_stays_valid():
    found = integrity.Findings()
    found.add("gc_walk", "calls gc.get_objects()", "micrograd/nn.py", 12)
    report = _report(found.to_list())
    validate_report(report)
    assert report["integrity"] == [{"rule": "gc_walk", "detail": "calls gc.get_objects()",
                                    "file": "micrograd/nn.py", "line": 12}]
    assert report["score"] == 2 and report["integrity_policy"] == "report"


def test_the_schema_refuses_a_finding_with_an_unknown_rule():
    report = _report()
    report["integrity"] = [{"rule": "made_up", "detail": "x", "file": None, "line": None}]
    with pytest.raises(ReportError, match="integrity"):
        validate_report(report)


def test_integrity_zero_scores_a_flagged_submission_zero_and_keeps_statuses():
    flagged = _report([integrity.finding("ctypes", "imports ctypes", "a.py", 1).to_dict()], policy="zero")
    validate_report(flagged)
    assert flagged["score"] == 0 and flagged["milestones"]["m3"]["score"] == 0
    assert {t["status"] for t in flagged["tests"] if t["name"].startswith("test_neuron_weights_are_")} == {"passed", "failed"}
    assert "flagged for review" in flagged["note"]


def test_integrity_zero_leaves_a_clean_submission_alone():
    clean = _report([], policy="zero")
    assert clean["score"] == 2 and "note" not in clean


def test_runtime_evidence_is_recorded_for_the_report(monkeypatch):
    monkeypatch.setattr(integrity.findings, "RUNTIME", integrity.Findings())
    integrity.findings.record("worker_tampering", "the request loop was replaced")
    assert [f.rule for f in integrity.findings.RUNTIME] == ["worker_tampering"]


def test_stub_contradiction_needs_every_function_the_check_runs_to_be_a_stub():
    passed = [{"name": "test_a", "milestone": "m4", "status": "passed", "max_score": 2}]
    stubs = {"mse_loss": [True], "SGD.step": [True], "SGD.__init__": [True]}
    [f] = integrity.stub_contradictions(stubs, passed)
    assert f.rule == "stub_contradiction" and "M4" in f.detail and f.file is None
    assert integrity.stub_contradictions({**stubs, "SGD.step": [True, False]}, passed) == []
    assert integrity.stub_contradictions({**stubs, "mse": [False]}, passed) == []  # an accepted alias is real code
    assert integrity.stub_contradictions({**stubs, "GradientDescent.step": [False]}, passed) == []
    assert integrity.stub_contradictions(stubs, [{**passed[0], "status": "failed"}]) == []
    assert integrity.stub_contradictions(stubs, [{**passed[0], "max_score": 0}]) == []
    assert "none of the 6 contract functions it runs is defined" in integrity.stub_contradictions({}, passed)[0].detail
    assert integrity.stub_contradictions({"MLP.__call__": [False]}, passed)  # real M3 code does not run M4 checks
    # ...but the grader's own loop on the submission's MLP runs M1-M3 code only: the original
    # micrograd's layout, with an MLP and no M4 module, passes it honestly.
    loop = [{**passed[0], "name": "test_your_mlp_trained_by_the_graders_loop_converges"}]
    assert integrity.stub_contradictions({"MLP.__call__": [False]}, loop) == []
    assert integrity.stub_contradictions({"MLP.__call__": [True], "Value.__add__": [True]}, loop)


def test_stub_detection_reads_the_template_as_stubs_and_the_reference_as_code():
    template = integrity.scan_submission(TEMPLATE).definitions
    reference = integrity.scan_submission(REFERENCE).definitions
    assert template["Value.__add__"] == [True] and template["mse_loss"] == [True]
    assert reference["Value.__add__"] == [False]
    # A do-nothing helper (a leaf's _backward) is no contract function: only those count.
    contract = integrity.contradictions.contract_callables()
    assert not any(any(v) for name, v in reference.items() if name in contract)


def test_forged_answers_on_stubs_are_flagged_in_the_report(tmp_path):
    submission = tmp_path / "forger"
    shutil.copytree(TEMPLATE, submission, ignore=shutil.ignore_patterns("__pycache__"))
    with open(submission / "micrograd" / "__init__.py", "a") as f:
        f.write(FORGE_PROBES_FROM_STUBS)
    report = grade(submission, tmp_path / "r.json", milestones=["m1"], limits=FAST_LIMITS)
    rules_found = {f["rule"] for f in report["integrity"]}
    assert {"patch_modules", "kit_import"} <= rules_found
    # The forgery gains points only together with the finding that exposes it.
    assert report["score"] == 0 or "stub_contradiction" in rules_found
    zeroed = grading.grade(submission, tmp_path / "z.json", milestones=["m1"], limits=FAST_LIMITS,
                           integrity_policy="zero", output=subprocess.DEVNULL)
    assert zeroed["integrity"] == report["integrity"] and zeroed["score"] == 0


def test_the_reference_grades_clean_and_zero_policy_keeps_its_score(tmp_path):
    report = grading.grade(REFERENCE, tmp_path / "r.json", milestones=["m1"], integrity_policy="zero",
                           output=subprocess.DEVNULL)
    assert report["integrity"] == [] and report["score"] == report["max_score"] > 0


def _flagged_report():
    found = integrity.Findings()
    found.add("frame_introspection", "uses sys._getframe", "micrograd/engine.py", 3)
    found.add("worker_tampering", "the request loop was replaced")
    return _report(found.to_list())


def test_instructor_exports_show_every_finding():
    report = _flagged_report()
    row = csv_row.row(report, submission="alice", milestones=["m3"])
    assert row["integrity"] == "frame_introspection; worker_tampering"
    xml = junit.render(report)
    assert "micrograd/engine.py:3: uses sys._getframe" in xml and "the request loop was replaced" in xml
    assert "frame_introspection" in "\n".join(render_table_lines(report))


def test_student_exports_say_only_flagged_for_review():
    report = _flagged_report()
    for text in (gradescope.render(report), markdown.render(report)):
        assert FLAGGED in text
        for secret in ("frame_introspection", "_getframe", "worker_tampering", "request loop", "engine.py:3"):
            assert secret not in text
    clean = _report()
    assert FLAGGED not in gradescope.render(clean) and FLAGGED not in markdown.render(clean)


def test_a_batch_lists_flagged_submissions_and_integrity_zero_scores_them_0(tmp_path, capsys):
    from micrograde.cli import main

    src = tmp_path / "src"
    shutil.copytree(REFERENCE, src / "clean", ignore=shutil.ignore_patterns("__pycache__"))
    patched_reference(src / "sneaky", [("engine", "import math\n", "import math\nimport ctypes\n")])
    out = tmp_path / "out"
    assert main(["batch", str(src), "--out", str(out), "--milestone", "m1", "--integrity", "zero",
                 "--no-progress", "--jobs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "flagged for review (1;" in printed and "sneaky: ctypes" in printed
    with open(out / "grades.csv") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert rows["clean"]["integrity"] == "" and rows["clean"]["score"] == rows["clean"]["max_score"] != "0"
    assert rows["sneaky"]["integrity"] == "ctypes" and rows["sneaky"]["score"] == "0"


def test_a_body_that_does_nothing_is_a_stub_whatever_it_returns_or_raises():
    import ast

    from micrograde.integrity.stubs import is_stub

    stubs = ["def f(self):\n    pass", "def f(self):\n    '''doc'''\n    return None", "def f(self):\n    ...",
             "def f(self):\n    return", "def f(self):\n    raise ValueError('todo')",
             "def f(self):\n    '''doc'''\n    raise NotImplementedError"]
    real = ["def f(self):\n    return self", "def f(self):\n    self.grad = 0.0", "def f(self):\n    return 0.0",
            "def f(self):\n    if self.data:\n        raise ValueError('x')\n    return None"]
    assert all(is_stub(ast.parse(src).body[0]) for src in stubs)
    assert not any(is_stub(ast.parse(src).body[0]) for src in real)


def test_the_stub_rule_reads_the_names_the_resolved_layout_found():
    # An instructor's --layout maps the contract's Value to the student's `Knot`: its real
    # methods are the submission's code, not an absent contract, and its stubs are stubs.
    passed = [{"name": "test_a", "milestone": "m1", "status": "passed", "max_score": 2}]
    layout = {"engine.Value": {"module": "autograd", "attr": "Knot"}}
    real = {f"Knot.{m}": [False] for m in ("__init__", "__add__", "__mul__", "backward")}
    assert integrity.stub_contradictions(real, passed)  # without the layout: no contract code found
    assert integrity.stub_contradictions(real, passed, layout) == []
    stubbed = {name: [True] for name in real}
    assert integrity.stub_contradictions(stubbed, passed, layout)


def test_a_template_whose_stubs_return_none_scores_nothing_unflagged(tmp_path):
    """Issue 19: `return None` / `pass` bodies are stubs too; with the forged probes of
    FORGE_PROBES_FROM_STUBS appended, no point may come without a finding that exposes it."""
    import re

    submission = tmp_path / "return-none"
    shutil.copytree(TEMPLATE, submission, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (submission / "micrograd").glob("*.py"):
        text = re.sub(r"raise NotImplementedError\(.*\)", "return None", path.read_text())
        path.write_text(text)
    with open(submission / "micrograd" / "__init__.py", "a") as f:
        f.write(FORGE_PROBES_FROM_STUBS)
    definitions = integrity.scan_submission(submission).definitions
    assert definitions["Value.__add__"] == [True] and definitions["mse_loss"] == [True]
    report = grade(submission, tmp_path / "r.json", milestones=["m1"], limits=FAST_LIMITS)
    found = {f["rule"] for f in report["integrity"]}
    assert report["score"] == 0 or "stub_contradiction" in found, (report["score"], found)
