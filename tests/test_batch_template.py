"""Warm templates (batch/template.py): a batch's gradings fork from a process that imported
the kit, and each is graded exactly as a fresh `micrograde grade` grades it."""
import json
import subprocess

import pytest

import corpus
from micrograde.batch import child, template
from micrograde.batch.runner import Job

pytestmark = pytest.mark.skipif(not template.available(), reason="warm templates need fork")

# A submission that leaves state behind wherever it can: the modules it shares with other
# code, files in its temporary folder and home, the environment, a large heap.
LEAVES_STATE = '''
import builtins, math, os, random, tempfile
builtins.LEFT_BY_A_SUBMISSION = True
math.tanh = lambda x: 0.5
random.seed(1)
os.environ["LEFT_BY_A_SUBMISSION"] = "1"
for folder in (tempfile.gettempdir(), os.path.expanduser("~"), "/tmp"):
    try:
        with open(os.path.join(folder, "left-by-a-submission.py"), "w") as f:
            f.write("raise SystemExit")
    except OSError:
        pass
HEAP = [bytearray(1 << 20) for _ in range(64)]
'''


def _job():
    return Job(seed=2026, milestones=None, integrity_policy="report")


def test_a_warm_grading_forks_from_the_template_and_reports_as_a_fresh_one(tmp_path, monkeypatch):
    fresh = corpus.grade(corpus.REFERENCE, tmp_path / "fresh.json")
    monkeypatch.setattr(child.subprocess, "run", lambda *a, **k: pytest.fail("graded without the template"))
    warm = template.Template()
    try:
        state = corpus.patched_reference(tmp_path / "state", files={"micrograd/left_state.py": LEAVES_STATE},
                                         patches=[("engine", "import math\n", "import math\nfrom . import left_state\n")])
        code = child.grade_in_child(state, tmp_path / "state.json", tmp_path / "state.log", _job(), warm)
        assert code in (0, 1), (tmp_path / "state.log").read_text()[-2000:]
        first = warm.proc.pid
        code = child.grade_in_child(corpus.REFERENCE, tmp_path / "next.json", tmp_path / "next.log", _job(), warm)
        assert code == 0 and warm.proc.pid == first  # the same template served both
    finally:
        warm.close()
    after = json.loads((tmp_path / "next.json").read_text())
    assert after["score"] == after["max_score"]
    assert corpus.check_results(after) == corpus.check_results(fresh)


def test_a_template_that_died_is_started_again_for_the_next_grading(tmp_path):
    warm = template.Template()
    try:
        warm._start()
        dead = warm.proc
        dead.kill()
        dead.wait()
        code = child.grade_in_child(corpus.REFERENCE, tmp_path / "r.json", tmp_path / "r.log",
                                    Job(seed=2026, milestones=["m1"]), warm)
        assert code == 0 and warm.proc is not dead
    finally:
        warm.close()
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "complete"


def test_the_template_holds_no_grading_state(tmp_path):
    """Imported code only: no seed, no submission, no report, no worker, no cached examples."""
    probe = ("from micrograde.cli import warm; warm._preload(); import sys; "
             "from micrograde import integrity, training_task; from micrograde.examples import store; "
             "from micrograde.worker import isolation; "
             "mods = [m for m in sys.modules if m.split('.')[0] in ('micrograd', 'engine', 'nn')]; "
             "print(len(mods), len(list(integrity.RUNTIME)), store.kit_digest.cache_info().currsize, "
             "isolation.available.cache_info().currsize, training_task.regression_task.cache_info().currsize, "
             "'micrograde.plugin' in sys.modules)")
    out = subprocess.run(corpus_python(probe), capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "0", "0", "0", "0", "True"]


def corpus_python(statement):
    from micrograde import children
    return children.python(statement)
