"""Real-looking layouts get the verdict they deserve: correct code full marks wherever it
lives, and each kind's real bugs (and only those) cost points, blamed once.

Gradings run in a pool of two processes, all submitted when the first test needs one.
"""
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

import corpus
import layouts

FULL_MARKS = ("flat_modules", "renamed_package", "nested_folder", "notebook", "single_script", "numpy_scalars",
              "two_values", "with_virtualenv")
KINDS = FULL_MARKS + ("karpathy", "tanh_only", "broken_init")


def _grade(kind, folder):
    return corpus.grade(layouts.build(kind, folder / "submission"), folder / "report.json")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts")
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    futures = {kind: pool.submit(_grade, kind, root / kind) for kind in KINDS}
    lock = threading.Lock()

    def get(kind):
        with lock:
            return futures[kind].result()
    yield get
    pool.shutdown(cancel_futures=True)


def _lost(report) -> str:
    return "\n".join(f"{t['name']} ({t['status']}): {t['feedback'][:300]}"
                     for t in report["tests"] if t["score"] < t["max_score"])


@pytest.mark.parametrize("kind", FULL_MARKS)
def test_correct_code_gets_full_marks_wherever_it_lives(graded, kind):
    report = graded(kind)
    assert report["score"] == report["max_score"], _lost(report)
    assert all(entry["found"] for entry in report["layout"]["names"].values()), report["layout"]


def test_the_report_says_where_each_name_was_found(graded):
    names = graded("nested_folder")["layout"]["names"]
    assert names["engine.Value"]["file"] == "projects/micrograd_rebuild/core/engine.py"
    assert names["engine.Value"]["module"] == "core.engine"
    assert graded("flat_modules")["layout"]["names"]["nn.MLP"]["module"] == "nn"
    assert graded("renamed_package")["layout"]["names"]["optim.SGD"]["module"] == "nanograd.optim"


def test_a_notebook_is_graded_from_its_definitions_and_the_report_lists_what_was_not_run(graded):
    layout = graded("notebook")["layout"]
    value = layout["names"]["engine.Value"]
    assert value["file"] == "micrograd_lecture.ipynb" and value["cell"] == 4
    [book] = layout["definitions_only"]
    skipped = " | ".join(s["code"] for s in book["skipped"])
    for statement in ("!pip install graphviz", "%matplotlib inline", "plt.plot(xs, f(xs))", "for k in range(20):",
                      "%%time", "draw_dot(c)"):
        assert statement in skipped, skipped
    assert ".ipynb_checkpoints (hidden folder)" in layout["skipped_folders"]


def test_competing_values_are_resolved_by_the_documented_rule(graded):
    layout = graded("two_values")["layout"]
    assert layout["names"]["engine.Value"]["file"] == "micrograd/engine.py"
    assert layout["names"]["engine.Value"]["also_found"] == ["scratch/value_first_try.py:1"]
    assert "imports" in layout["rule"]


def test_a_virtualenv_inside_the_submission_is_never_graded(graded):
    layout = graded("with_virtualenv")["layout"]
    assert "mg-env (virtualenv)" in layout["skipped_folders"]
    assert not any("mg-env" in f for f in layout["searched"])


def test_the_original_micrograd_loses_only_what_it_does_not_do(graded):
    report = graded("karpathy")
    checks = corpus.by_name(report)
    assert report["milestones"]["m1"]["score"] == report["milestones"]["m1"]["max_score"], _lost(report)
    # relu-only random graphs, and its relu MLP judged by the MSE it really reaches.
    for name in ("test_backward_matches_exact_gradients_on_random_graphs",
                 "test_backward_agrees_with_finite_differences_of_your_forward_pass",
                 "test_relu_gradient_is_scaled_by_the_upstream_gradient", "test_layer_parameters_in_neuron_order",
                 "test_your_mlp_trained_by_the_graders_loop_converges"):
        assert checks[name]["status"] == "passed", f"{name}: {checks[name]['feedback']}"
    assert checks["test_neuron_relu_activation"]["feedback"].startswith(
        "TypeError: Neuron.__init__() got an unexpected keyword argument 'activation' "
        "(the contract's signature is Neuron(nin, activation='tanh'))")
    assert checks["test_backward_handles_deep_graphs"]["warning"]
    assert {t["status"] for t in report["tests"]} <= {"passed", "failed", "missing", "error"}


def test_a_tanh_only_engine_loses_the_relu_checks_and_nothing_else_for_it(graded):
    report = graded("tanh_only")
    relu = [t for t in report["tests"] if t["milestone"] == "m2" and "relu" in t["name"]]
    assert len(relu) == 3 and all(t["status"] == "missing" and t["feedback"].endswith("Value.relu is missing")
                                  for t in relu)
    others = [t for t in report["tests"] if t not in relu and "relu" in t["feedback"]]
    assert not others, _lost(report)
    assert report["milestones"]["m1"]["score"] == report["milestones"]["m1"]["max_score"], _lost(report)
    checks = corpus.by_name(report)
    for name in ("test_backward_matches_exact_gradients_on_random_graphs",
                 "test_backward_agrees_with_finite_differences_of_your_forward_pass",
                 "test_tanh_gradient_is_scaled_by_the_upstream_gradient", "test_neuron_applies_tanh_by_default"):
        assert checks[name]["status"] == "passed", f"{name}: {checks[name]['feedback']}"
    assert report["layout"]["names"]["engine.Value"]["file"] == "micrograd_lecture.py"


def test_an_init_that_cannot_be_imported_fails_every_check_with_one_message(graded):
    report = graded("broken_init")
    assert report["score"] == 0
    feedback = {t["feedback"] for t in report["tests"]}
    assert len(feedback) == 1, feedback
    [message] = feedback
    assert message.startswith(f"ModuleNotFoundError: No module named '{layouts.MISSING_LIBRARY}' (raised while importing "
                       f"micrograd/__init__.py, line 4: import {layouts.MISSING_LIBRARY} as pd"), message
