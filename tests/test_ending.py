"""The kit's commands end without the interpreter's teardown (ending.py), and lose nothing
of what an exit does that can be seen: exit handlers run, the output is complete, the exit
status is the command's. A `sitecustomize` on PYTHONPATH stands for the student's other
tools: it registers an exit handler, and keeps an object whose finalizer only a teardown
of the interpreter calls."""
import os
import re
import subprocess
import sys

from corpus import REFERENCE, TEMPLATE
from micrograde.spec import KIT_ROOT

SITECUSTOMIZE = """
import atexit, os
atexit.register(lambda: open(os.environ["SEEN"], "a").write("exit handler\\n"))

class _Finalized:
    def __del__(self, open=open, seen=os.environ["SEEN"]):  # the module's names are gone by then
        open(seen, "a").write("teardown\\n")

_kept = _Finalized()
"""


def _run(tmp_path, args):
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    seen = tmp_path / "seen.txt"
    seen.unlink(missing_ok=True)
    env = {**os.environ, "SEEN": str(seen),
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(KIT_ROOT / "graders")])}
    done = subprocess.run([sys.executable, *args], cwd=KIT_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    return done, seen.read_text() if seen.exists() else ""


def test_pytest_graders_runs_the_exit_handlers_and_skips_the_teardown(tmp_path):
    for submission, status in ((REFERENCE, 0), (TEMPLATE, 1)):
        done, seen = _run(tmp_path, ["-m", "pytest", "graders/m1", f"--submission={submission}",
                                     f"--report={tmp_path / 'r.json'}"])
        assert done.returncode == status, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert f"report: {tmp_path / 'r.json'}" in lines and re.search(r" in [\d.]+s\b", lines[-1]), done.stdout
        assert seen == "exit handler\n", (submission, seen)


def test_the_micrograde_command_runs_the_exit_handlers_and_skips_the_teardown(tmp_path):
    done, seen = _run(tmp_path, ["-m", "micrograde", "grade", str(REFERENCE), "--milestone", "m1",
                                 "--json", str(tmp_path / "r.json")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^m1\s+25 / 25$", done.stdout, re.M) and f"report: {tmp_path / 'r.json'}" in done.stdout, done.stdout
    assert seen == "exit handler\n", seen


def test_a_program_that_calls_pytest_main_goes_on_after_the_grading(tmp_path):
    script = ("import pytest\n"
              f"code = pytest.main(['graders/m1', '--submission={REFERENCE}',"
              f" '--report={tmp_path / 'r.json'}', '-q'])\n"
              "print('after the grading', int(code))\n")
    done, seen = _run(tmp_path, ["-c", script])
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "after the grading 0", done.stdout
    assert seen == "exit handler\nteardown\n", seen


def test_a_program_with_another_thread_running_exits_as_usual(tmp_path):
    script = ("import threading\n"
              "from micrograde import ending\n"
              "stop = threading.Event()\n"
              "threading.Thread(target=stop.wait).start()\n"
              "ending.end(0)\n"
              "print('left to the interpreter')\n"
              "stop.set()\n")
    done, seen = _run(tmp_path, ["-c", script])
    assert done.stdout == "left to the interpreter\n" and seen == "exit handler\nteardown\n", (done, seen)
