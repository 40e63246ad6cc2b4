"""The pytest plugin: the student command works as documented, and an installed kit has no
effect on a student's other pytest sessions."""
import inspect
import json
import os
import shutil
import subprocess
import sys

import hypothesis
import pytest

from corpus import REFERENCE
from micrograde import __version__, plugin
from micrograde.spec import KIT_ROOT


def _pytest(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_documented_student_command_grades_the_folder_and_never_runs_its_conftest(tmp_path):
    sub = tmp_path / "sub"
    shutil.copytree(REFERENCE, sub)
    (sub / "conftest.py").write_text(f"open({str(tmp_path / 'LOADED')!r}, 'w').close()\n")
    report = tmp_path / "r.json"
    done = _pytest("graders/m1/test_value.py", "--submission", str(sub), "--report", str(report), "--seed", "7",
                   cwd=KIT_ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (tmp_path / "LOADED").exists()
    data = json.loads(report.read_text())
    assert data["seed"] == 7 and data["submission"]["path"] == str(sub)
    header = done.stdout.splitlines()[0]
    assert header == f"micrograde {__version__}: grading {sub} with seed private"
    assert "micrograde: where your code was found" in done.stdout


_SETTINGS_SEEN = """
import json, sys, pytest

class Seen:
    def pytest_configure(self, config):
        plugins = config.pluginmanager
        self.seen = {"hypothesis plugin": plugins.has_plugin("hypothesispytest"),
                     "cache": plugins.has_plugin("cacheprovider"), "verbosity": config.option.verbose,
                     "traceback": config.option.tbstyle}

seen = Seen()
code = pytest.main(sys.argv[1:], plugins=[seen])
print(json.dumps([int(code), seen.seen]))
"""


def test_submission_and_its_folder_as_two_arguments_grade_with_the_graders_own_settings(tmp_path):
    """pytest takes the folder after --submission for a test path when it looks for its settings
    file, and finds the kit's pyproject.toml: the run must still be the graders' own."""
    runs = {}
    for spelling in (["--submission", str(REFERENCE)], [f"--submission={REFERENCE}"]):
        done = subprocess.run([sys.executable, "-c", _SETTINGS_SEEN, "graders/m1/test_value.py", *spelling,
                               f"--report={tmp_path / 'r.json'}"], cwd=KIT_ROOT, capture_output=True, text=True,
                              timeout=600)
        runs[spelling[0]] = json.loads(done.stdout.splitlines()[-1])
    assert runs["--submission"] == runs[f"--submission={REFERENCE}"], runs
    assert runs["--submission"] == [0, {"hypothesis plugin": False, "cache": False, "verbosity": -1,
                                        "traceback": "no"}], runs


def test_an_unrelated_pytest_session_keeps_its_own_options(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "def pytest_addoption(parser):\n"
        "    for name in ('--seed', '--report', '--submission', '--processes', '--memory-mb'):\n"
        "        parser.addoption(name, default='theirs')\n")
    (tmp_path / "test_theirs.py").write_text(
        "def test_options_are_theirs(pytestconfig):\n"
        "    assert pytestconfig.getoption('seed') == '5'\n"
        "    assert pytestconfig.getoption('report') == 'theirs'\n")
    done = _pytest("--seed", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    helped = _pytest("--help", cwd=tmp_path)
    assert "grading a micrograd submission" not in helped.stdout


def test_every_hook_of_the_plugin_is_documented():
    hooks = [f for name, f in inspect.getmembers(plugin, inspect.isfunction) if name.startswith("pytest_")]
    assert len(hooks) >= 6
    assert [h.__name__ for h in hooks if not (h.__doc__ or "").strip()] == []


def test_a_failure_that_does_not_repeat_is_reported_by_its_example_not_by_hypothesis_wrapper():
    # Look-alike of a real submission: tanh's _backward assigns instead of adding and the
    # operands sit in a set, so one program fails once and passes on Hypothesis' replay.
    example = "backward() on a random graph: gradient d(out)/d x0: expected 1.42, got 0.42\nthe program:\nx0 = Value(1.0)"
    flaky = hypothesis.errors.FlakyFailure(
        "Hypothesis test_backward(sandbox=<Sandbox object at 0x7f00deadbeef>) produces unreliable results",
        [AssertionError(example)])
    with pytest.raises(hypothesis.errors.FlakyFailure) as raised:
        raise flaky
    status, feedback = plugin._feedback(raised)
    assert status == "failed"
    assert feedback.startswith(example)
    assert plugin.NOT_REPEATED in feedback
    assert "0x" not in feedback and "Flaky" not in feedback


@pytest.mark.parametrize("command", [
    ["-m", "pytest", "graders/m1", f"--submission={REFERENCE}", "--report={report}"],
    ["-m", "micrograde", "grade", str(REFERENCE), "--milestone", "m1", "--json", "{report}"],
], ids=["pytest", "micrograde-grade"])
def test_a_grading_whose_reader_goes_away_still_writes_its_whole_report(tmp_path, command):
    """`... | head` closes the pipe after a few lines: the rest of the output goes nowhere, the report is whole."""
    report = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": str(KIT_ROOT / "graders")}
    run = subprocess.Popen([sys.executable, *[a.format(report=report) for a in command]], cwd=KIT_ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert run.stdout.readline().startswith(b"micrograde")
    run.stdout.close()
    run.wait(timeout=600)
    graded = json.loads(report.read_text())
    assert (graded["status"], graded["score"]) == ("complete", graded["max_score"]), graded.get("note")
