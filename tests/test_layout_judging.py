"""Judging what a submission computes, one cause one blame: the grader-side pieces."""
import fractions
import json

import numpy as np
import pytest

from corpus import cli_error_line
from micrograde.cli import main
from micrograde.layout.render import layout_lines, lost_lines, not_found_name
from micrograde.probes.values import plain
from micrograde.report.table import render_table, shown_status
from micrograde.signatures import hint


@pytest.mark.parametrize("number", [np.float64(0.25), np.float32(0.25), np.int64(3), fractions.Fraction(1, 4), 2, 0.5])
def test_any_real_number_counts_as_a_number(number):
    assert plain(number) == float(number) and type(plain(number)) is float


@pytest.mark.parametrize("other", ["0.25", None, [0.25], complex(1, 0), np.array([0.25, 0.5])])
def test_what_is_not_a_real_number_is_reported_by_its_type(other):
    assert plain(other) == f"<{type(other).__name__}>"


@pytest.mark.parametrize("message, expected", [
    ("Neuron.__init__() got an unexpected keyword argument 'activation'", "Neuron(nin, activation='tanh')"),
    ("MLP.__init__() takes 3 positional arguments but 4 were given", "MLP(nin, nouts, activation='tanh')"),
    ("train() got an unexpected keyword argument 'lr'", "train(model, xs, ys, epochs=100, lr=0.05, optimizer=None, "
                                                        "loss_fn=mse_loss)"),
    ("Scalar.backward() takes 2 positional arguments but 1 was given", "Value.backward(self)"),
])
def test_a_wrong_signature_is_answered_with_the_contracts(message, expected):
    assert hint("TypeError", message) == f"the contract's signature is {expected}"


def test_other_errors_get_no_signature_hint():
    assert hint("TypeError", "unsupported operand type(s) for +: 'Value' and 'str'") == ""
    assert hint("ValueError", "Neuron.__init__() got an unexpected keyword argument 'x'") == ""
    assert hint("TypeError", "Helper.__init__() got an unexpected keyword argument 'x'") == ""


def _test(status, feedback="", warning=""):
    entry = {"name": "test_x", "milestone": "m2", "score": 0, "max_score": 1, "status": status,
             "feedback": feedback, "duration_s": 0.0}
    return {**entry, "warning": warning} if warning else entry


def test_a_passed_check_with_a_warning_shows_as_a_warning():
    assert shown_status(_test("passed", warning="RecursionError on deep graphs")) == "warning"
    assert shown_status(_test("passed")) == "passed"
    assert shown_status(_test("failed", "x", warning="w")) == "failed"
    report = {"tests": [_test("passed", warning="deep")], "milestones": {"m2": {"score": 0, "max_score": 1}},
              "score": 0, "max_score": 1, "status": "complete"}
    assert "warning" in render_table(report).splitlines()[2]


def test_a_name_that_was_not_found_is_said_once_not_per_check():
    feedback = "draw_dot is missing: not found in the submission (the grader looked for function draw_dot in 3 files)"
    lost = [_test("missing", feedback), _test("missing", feedback), _test("missing", "Value.tanh is missing")]
    assert [not_found_name(t) for t in lost] == ["draw_dot", "draw_dot", None]
    assert lost_lines(lost) == ["draw_dot: not found in the submission, so 2 checks could not run "
                                "(see where the grader looked at the top)"]


def test_the_terminal_layout_names_file_line_cell_and_what_was_looked_for():
    layout = {"searched_count": 2, "names": {
        "engine.Value": {"found": True, "file": "lab.ipynb", "line": 3, "cell": 4, "module": "m", "name": "Scalar"},
        "viz.draw_dot": {"found": False, "looked_for": ["draw_dot", "draw_graph"], "looked_in": "2 files"}},
        "definitions_only": [{"file": "lab.ipynb", "module": "m", "skipped_count": 1,
                       "skipped": [{"cell": 5, "line": 1, "code": "plt.plot(h)", "why": "not a definition"}]}]}
    lines = layout_lines(layout)
    assert lines[1].split() == ["engine.Value", "lab.ipynb", "cell", "4,", "line", "3", "(spelled", "Scalar)"]
    assert lines[2].split()[1:] == ["not", "found", "(looked", "for", "draw_dot,", "draw_graph", "in", "2", "files)"]
    assert "cell 5: plt.plot(h)" in lines[3]


def test_a_bad_layout_file_is_one_clear_error_before_grading(tmp_path, capsys):
    (tmp_path / "engine.py").write_text("class Value:\n    pass\n")
    bad = tmp_path.parent / "layout.json"
    bad.write_text(json.dumps({"Tensor": "engine.py"}))
    assert main(["grade", str(tmp_path), "--layout", str(bad), "--json", str(tmp_path.parent / "r.json")]) == 2
    assert "names 'Tensor', which is not in the contract" in cli_error_line(capsys, "grade")
    bad.write_text("[1, 2]")
    assert main(["batch", str(tmp_path), "--out", str(tmp_path.parent / "out"), "--layout", str(bad)]) == 2
    assert "must be a JSON object" in cli_error_line(capsys, "batch")


def test_a_check_that_runs_no_code_of_its_milestone_is_no_stub_contradiction():
    from micrograde.integrity import stub_contradictions

    loop = {**_test("passed"), "name": "test_your_mlp_trained_by_the_graders_loop_converges", "milestone": "m4",
            "score": 2, "max_score": 2}
    other = {**loop, "name": "test_sgd_step_subtracts_lr_times_grad"}
    mlp_only = {"MLP.__call__": [False], "Value.__add__": [False]}
    assert [f for f in stub_contradictions(mlp_only, [loop]) if "M4" in f.detail] == []
    assert [f for f in stub_contradictions(mlp_only, [loop, other]) if "M4" in f.detail]
    assert [f for f in stub_contradictions({}, [loop]) if "M4" in f.detail]  # and with no MLP at all, it is one
