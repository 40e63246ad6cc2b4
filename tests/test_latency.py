"""What the latency work may not change: the student's pytest path grades exactly as
`micrograde grade` does, the early worker starts only for grading runs, and a probe that
makes much cyclic garbage still stays within the worker's memory limit.
(How fast grading is, is measured in benchmarks/bench_latency.py, never here.)"""
import json
import subprocess
from dataclasses import fields
import sys
from types import SimpleNamespace

import pytest

from corpus import REFERENCE, check_results, grade, patched_reference
from micrograde import early_worker
from micrograde.spec import KIT_ROOT
from micrograde.worker import Limits, Sandbox

ADD_ASSIGNS = ("engine", "self.grad += out.grad\n                other.grad += out.grad",
               "self.grad = out.grad\n                other.grad = out.grad")


def test_pytest_graders_gives_the_same_checks_as_micrograde_grade(tmp_path):
    # The student's path starts the workers early;
    # m1 and m4 run on different workers (plain, plotting).
    buggy = patched_reference(tmp_path / "buggy", [ADD_ASSIGNS])
    graded = grade(buggy, tmp_path / "grade.json", milestones=["m1", "m4"])
    subprocess.run([sys.executable, "-m", "pytest", "graders/m1", "graders/m4", f"--submission={buggy}",
                    f"--report={tmp_path / 'pytest.json'}"], cwd=KIT_ROOT, capture_output=True, check=False)
    by_pytest = json.loads((tmp_path / "pytest.json").read_text())
    assert graded["score"] < graded["max_score"]
    assert by_pytest["status"] == "complete"
    assert check_results(by_pytest) == check_results(graded)


def _early_config(tmp_path, *paths):
    namespace = SimpleNamespace(file_or_dir=list(paths), help=False, collectonly=False)
    return SimpleNamespace(known_args_namespace=namespace, invocation_params=SimpleNamespace(dir=tmp_path))


@pytest.mark.parametrize("paths, milestones", [
    ([str(KIT_ROOT / "graders" / "m1")], ["m1"]),
    ([str(KIT_ROOT / "graders" / "m4" / "test_training.py") + "::test_train_takes_exact_sgd_steps",
      str(KIT_ROOT / "graders" / "m2")], ["m2", "m4"]),
    ([str(KIT_ROOT / "graders")], None),
    ([str(KIT_ROOT / "tests")], False),
])
def test_early_worker_knows_which_milestones_a_command_line_grades(tmp_path, paths, milestones):
    assert early_worker.graded_milestones(_early_config(tmp_path, *paths)) == milestones


def test_early_worker_is_not_started_for_other_test_runs(tmp_path):
    config = _early_config(tmp_path, str(KIT_ROOT / "tests"))
    config.stash = {}
    early_worker.start(config)
    assert config.stash == {}


@pytest.mark.parametrize("milestone, kinds", [("m1", ["plain"]), ("m4", ["plotting"])])
def test_early_start_starts_only_the_workers_the_milestones_need(tmp_path, milestone, kinds):
    config = _early_config(tmp_path, str(KIT_ROOT / "graders" / milestone))
    config.known_args_namespace.__dict__.update(
        submission=str(REFERENCE), layout=None, **{f"limit_{f.name}": f.default for f in fields(Limits)})
    config.stash = {}
    early_worker.start(config)
    try:
        started = config.stash[early_worker.SANDBOXES]
        assert sorted(started) == kinds
        assert [s.plotting for s in started.values()] == [kind == "plotting" for kind in kinds]
        assert all(s.proc is not None for s in started.values())
    finally:
        early_worker.close(config)


GARBAGE_ENGINE = '''
class Value:
    def __init__(self, data, _children=(), _op=""):
        for _ in range(6_000_000):  # cyclic garbage: only the collector frees it
            cycle = [None]
            cycle[0] = cycle
        self.data = data
        self.grad = 0.0
        self._prev = set(_children)
        self._op = _op
'''


def test_a_probe_making_much_cyclic_garbage_stays_within_the_memory_limit(tmp_path):
    # About 600 MB of garbage were it never collected while the probe runs; under 40 MB
    # with the worker's collector settings.
    submission = patched_reference(tmp_path / "garbage", files={"micrograd/engine.py": GARBAGE_ENGINE})
    limits = Limits(memory_mb=320, probe_timeout_s=60)
    with Sandbox(submission, limits, plotting=False) as sandbox:
        answer = sandbox.call("engine.construct", "Value(3.5)", data=3.5)
    assert answer["data"] == 3.5

