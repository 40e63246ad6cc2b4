"""The grading engine end to end: full marks, zero, determinism, fail-closed reports, the CLI."""
import json
import os
import subprocess
import sys

import pytest

from corpus import REFERENCE, TEMPLATE, by_name, check_results, grade, patched_reference
from micrograde import rubric
from micrograde.probes.names import ENGINE_CONSTRUCT, ENGINE_REPR
from micrograde.report import validate_report

ASSIGN_NOT_ACCUMULATE = ("engine", "self.grad += out.grad\n                other.grad += out.grad",
                         "self.grad = out.grad\n                other.grad = out.grad")


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory):
    return grade(REFERENCE, tmp_path_factory.mktemp("ref") / "report.json")


def test_reference_gets_full_marks_in_every_check(reference_report):
    validate_report(reference_report)
    assert reference_report["status"] == "complete"
    assert [t["name"] for t in reference_report["tests"] if t["status"] != "passed"] == []
    assert reference_report["score"] == reference_report["max_score"] == sum(p for _, _, p in rubric.checks())
    assert reference_report["integrity"] == [] and reference_report["integrity_policy"] == "report"


def test_report_lists_every_rubric_check_with_its_points(reference_report):
    assert [(t["milestone"], t["name"], t["max_score"]) for t in reference_report["tests"]] == rubric.checks()
    for m, total in reference_report["milestones"].items():
        assert total["max_score"] == sum(p for mm, _, p in rubric.checks() if mm == m)


def test_report_records_submission_seed_and_limits(reference_report):
    from micrograde import submission
    from micrograde.worker import Limits

    assert reference_report["submission"]["sha256"] == submission.sha256(REFERENCE)
    assert reference_report["seed"] == 2026
    assert reference_report["limits"] == Limits().to_dict()


def test_empty_template_scores_zero_and_points_at_the_first_stub(tmp_path):
    report = grade(TEMPLATE, tmp_path / "report.json")
    validate_report(report)
    assert report["score"] == 0 and report["max_score"] > 0
    assert report["integrity"] == []  # stubs that fail are no contradiction
    first = report["tests"][0]
    assert first["status"] == "missing"
    assert "M1" in first["feedback"] and "Value.__init__" in first["feedback"]


def test_same_submission_and_seed_give_the_same_report_check_for_check(tmp_path):
    buggy = patched_reference(tmp_path / "buggy", [ASSIGN_NOT_ACCUMULATE])
    first = grade(buggy, tmp_path / "a.json", milestones=["m1", "m2"])
    second = grade(buggy, tmp_path / "b.json", milestones=["m1", "m2"])
    assert first["score"] < first["max_score"]
    assert check_results(first) == check_results(second)


# A backward() whose topological sort revisits shared nodes: only random graphs with a node
# used twice show it (an `=` for `+=` in an operator is its own check's now, capabilities.py).
NO_VISITED_SET = [("engine", "if node in visited:\n", "if False:\n"),
                  ("engine", "if child not in visited:\n", "if True:\n")]


def test_a_failing_property_shows_the_smallest_program(tmp_path):
    buggy = patched_reference(tmp_path / "buggy", NO_VISITED_SET)
    report = grade(buggy, tmp_path / "r.json", milestones=["m2"])
    feedback = by_name(report)["test_backward_matches_exact_gradients_on_random_graphs"]["feedback"]
    assert "x0 = Value(" in feedback and "out = " in feedback
    program_lines = [line for line in feedback.splitlines() if line.startswith("n")]
    assert 1 <= len(program_lines) <= 2, feedback


def test_private_seed_changes_the_examples_not_the_verdict(tmp_path):
    report = grade(REFERENCE, tmp_path / "r.json", milestones=["m1"], seed=987654321)
    assert report["seed"] == 987654321
    assert report["score"] == report["max_score"]


def test_missing_module_costs_only_the_checks_that_need_it(tmp_path):
    sub = patched_reference(tmp_path / "sub", remove=["micrograd/viz.py"])
    report = by_name(grade(sub, tmp_path / "r.json", milestones=["m2"]))
    draw = [t for name, t in report.items() if name.startswith("test_draw_dot")]
    assert draw and all(t["status"] == "missing" and t["feedback"].startswith("draw_dot is missing: not found in the submission") for t in draw)
    assert all(t["status"] == "passed" for name, t in report.items() if not name.startswith("test_draw_dot"))


def test_whole_run_limit_ends_grading_with_a_valid_report(tmp_path):
    slow = patched_reference(tmp_path / "slow", [("engine", "    def backward(self):\n",
                                                  "    def backward(self):\n        import time; time.sleep(30)\n")])
    report = grade(slow, tmp_path / "r.json", milestones=["m2"], limits={"probe_timeout_s": 1, "run_timeout_s": 6})
    validate_report(report)
    statuses = {t["status"] for t in report["tests"]}
    assert "timeout" in statuses
    assert report["duration_s"] < 60


def test_killed_grading_process_leaves_a_fail_closed_report(tmp_path):
    # The submission kills the grading process (its worker's parent) while the report is unwritten.
    killer = patched_reference(tmp_path / "killer", [("engine", "    def backward(self):\n",
                                                      "    def backward(self):\n        import os, signal; os.kill(os.getppid(), signal.SIGKILL)\n")])
    report = grade(killer, tmp_path / "r.json", milestones=["m2"])
    validate_report(report)
    on_disk = json.loads((tmp_path / "r.json").read_text())
    assert on_disk == report
    if os.geteuid() == 0:
        # Root: the worker runs as another user in its own PID namespace and cannot signal
        # the grader at all: getppid() is 0 there (its parent is outside), and kill(0)
        # reaches only the worker's own process group; or the kill is refused.
        assert report["status"] == "complete"
        assert by_name(report)["test_backward_seeds_the_root_gradient_with_one"]["status"] in ("error", "passed")
    else:
        assert report["status"] == "incomplete" and report["score"] == 0


def test_worker_runs_as_an_unprivileged_user_when_grading_as_root():
    from micrograde.worker import Sandbox

    if os.geteuid() != 0:
        pytest.skip("privileges are dropped only when grading as root")
    with Sandbox(REFERENCE) as sandbox:
        sandbox.call(ENGINE_CONSTRUCT, "Value(1.0)", data=1.0)
        assert sandbox.worker_uid not in (None, 0)


def test_probe_timeout_restarts_the_worker_for_the_next_check(tmp_path):
    from micrograde.errors import ProbeTimeout
    from micrograde.worker import Sandbox

    sub = patched_reference(tmp_path / "sub", [("engine", "    def __repr__(self):\n",
                                                "    def __repr__(self):\n        while True: pass\n")])
    with Sandbox(sub) as sandbox:
        with pytest.raises(ProbeTimeout, match="did not return within 1 s"):
            sandbox.call(ENGINE_REPR, "repr(Value)", timeout=1, data=1.0, grad=0.0)
        assert sandbox.call(ENGINE_CONSTRUCT, "Value(2.0)", data=2.0)["data"] == 2.0


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "micrograde", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_grade_exits_zero_whatever_the_score(tmp_path):
    result = _cli("grade", str(TEMPLATE), "--milestone", "m3", "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert "micrograde score" in result.stdout
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0


def test_cli_grade_shows_no_warning_on_its_first_screen(tmp_path):
    # A deprecation the kit's own code triggers (in the grading child too) must fail here,
    # before a student's first screen opens with a library's warning.
    result = _cli("grade", str(REFERENCE), "--milestone", "m1", "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stdout + result.stderr, (result.stdout + result.stderr)[:2000]
    assert (result.stdout or result.stderr).startswith("micrograde ")


@pytest.mark.parametrize("args, message", [
    (["grade", "/no/such/folder"], "does not exist"),
    (["grade", "REF", "--milestone", "m9"], "invalid choice"),
    (["grade", "REF", "--probe-timeout-s", "-1"], "must be positive"),
    (["grade", "REF", "--seed", "-5"], "--seed"),
])
def test_cli_grade_rejects_bad_input_with_one_clear_message(tmp_path, args, message):
    args = [str(REFERENCE) if a == "REF" else a for a in args]
    result = _cli(*args, "--json", str(tmp_path / "r.json"))
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_concurrent_gradings_in_one_process_do_not_disturb_each_other(tmp_path):
    import threading

    reports = {}

    def run(i):
        reports[i] = grade(REFERENCE, tmp_path / f"{i}.json", milestones=["m3"])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(r["status"], r["score"] == r["max_score"]) for r in reports.values()] == [("complete", True)] * 2


LAZY_IMPORTS = '''
        import encodings.idna, glob, json.decoder, xml.dom.minidom
        import micrograde_venv_only_module
        return micrograde_venv_only_module.ANSWER
'''


def outer_site_dirs():
    import site

    return [d for d in site.getsitepackages() if os.path.isdir(d)]


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop happens only when grading as root")
@pytest.mark.parametrize("where", ["locked home", "/tmp"])
def test_dropped_worker_still_imports_from_its_interpreter_and_venv(tmp_path, where):
    """CI's shape: a venv under /root (mode 700), its base interpreter under /root too; or a
    venv under /tmp, which the worker otherwise sees as a fresh, empty folder."""
    import tempfile

    parent = os.path.expanduser("~") if where == "locked home" else tempfile.gettempdir()
    home = tempfile.mkdtemp(dir=parent, prefix="micrograde-venv-")
    try:
        os.chmod(home, 0o700)
        venv = os.path.join(home, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        site = subprocess.run([os.path.join(venv, "bin", "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        # The kit and its dependencies come from the environment running this test (CI's
        # .ci-venv), not from the base interpreter, which has no kit on a fresh machine:
        # --system-site-packages would only reach the latter. addsitedir also runs the
        # outer .pth files, among them the one that makes the editable kit importable.
        with open(os.path.join(site, "_outer_env.pth"), "w") as f:
            f.write(f"import site; list(map(site.addsitedir, {outer_site_dirs()!r}))\n")
        # Only in the venv, and imported only after the worker has dropped its privileges.
        with open(os.path.join(site, "micrograde_venv_only_module.py"), "w") as f:
            f.write("ANSWER = 'imported'\n")
        sub = patched_reference(tmp_path / "sub", [("engine", "    def __repr__(self):\n",
                                                    "    def __repr__(self):" + LAZY_IMPORTS + "\n    def _unused(self):\n")])
        probe = ("from micrograde.worker import Sandbox\n"
                 f"with Sandbox({str(sub)!r}) as s:\n"
                 "    print(s.call('engine.repr', 'repr(Value)', data=1.0, grad=0.0))\n")
        result = subprocess.run([os.path.join(venv, "bin", "python"), "-c", probe], capture_output=True, text=True)
        assert result.stdout.strip() == "imported", result.stderr[-2000:]
    finally:
        import shutil

        shutil.rmtree(home, ignore_errors=True)


def test_grading_leaves_no_run_folders_behind(tmp_path, monkeypatch):
    import glob
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    tempfile.tempdir = None  # re-read TMPDIR
    try:
        killer = patched_reference(tmp_path / "killer", [("engine", "    def backward(self):\n",
                                                          "    def backward(self):\n        import os, signal; os.kill(os.getppid(), signal.SIGKILL)\n")])
        grade(killer, tmp_path / "r.json", milestones=["m2"], limits={"run_timeout_s": 60})
        grade(REFERENCE, tmp_path / "s.json", milestones=["m1"])
    finally:
        tempfile.tempdir = None
    assert glob.glob(str(tmp_path / "tmp" / "*")) == []


def test_a_default_repr_quoted_in_feedback_gives_the_same_report_every_run(tmp_path):
    """Object addresses differ from run to run: the report masks them (one seed, one report)."""
    bare = patched_reference(tmp_path / "bare", [("engine", "    def __repr__(self):", "    def _unused_repr(self):")])
    runs = [grade(bare, tmp_path / f"{i}.json", milestones=["m1"]) for i in range(2)]
    feedback = by_name(runs[0])["test_repr_shows_data_and_grad"]["feedback"]
    assert "object at 0x..." in feedback and check_results(runs[0]) == check_results(runs[1])
