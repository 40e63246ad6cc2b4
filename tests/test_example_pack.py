"""The example course pack (examples/course-xor: exp and sigmoid added, the XOR task, two
checks hidden, one instructor check, other points), used as an instructor would: a batch,
a release and a Gradescope bundle built from it without touching the kit's files. Its
reference (the kit's, extended with the pack's operations) gets full marks, its template
0, and a wrong derivative of each new operation costs that operation's checks only."""
import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from micrograde import course as courses
from micrograde import grading
from micrograde.cli import main
from micrograde.course.extend import extend_template, extended_reference

KIT = Path(__file__).resolve().parents[1]
PACK = KIT / "examples" / "course-xor"
HIDDEN = ("test_tanh_does_not_overflow_for_large_inputs", "test_mlp_parameter_count_for_several_shapes")

pytestmark = pytest.mark.xdist_group("example_pack")


@pytest.fixture(scope="module")
def course():
    return courses.load(PACK)


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """A batch of the course's reference and template, graded with the pack."""
    root = tmp_path_factory.mktemp("example")
    src = root / "src"
    extended_reference(course.extra_operations, src / "reference")
    shutil.copytree(KIT / "student_template", src / "template", ignore=shutil.ignore_patterns("__pycache__"))
    extend_template(src / "template", course.extra_operations)
    out = root / "out"
    assert main(["batch", str(src), "--out", str(out), "--course", str(PACK), "--jobs", "1", "--no-progress"]) == 0
    return out


def test_the_pack_is_what_its_course_toml_says(course):
    assert course.extra_operations == ("exp", "sigmoid") and course.task == {"kind": "xor"}
    assert course.hidden_checks() == set(HIDDEN)
    assert course.instructor == {"test_sigmoid_is_one_over_one_plus_exp_of_minus_x": ("m1", "checks/test_sigmoid.py")}


def test_its_reference_gets_full_marks_and_its_template_zero_in_a_batch(graded, course):
    rows = {row["submission"]: row for row in csv.DictReader(open(graded / "grades.csv"))}
    assert rows["reference"]["score"] == rows["reference"]["max_score"] == "111", rows["reference"]
    assert rows["template"]["score"] == "0" and rows["template"]["max_score"] == "111"
    report = json.loads((graded / "reports" / "reference.json").read_text())
    assert report["course"]["sha256"] == course.sha256 and report["course"]["name"] == course.name
    names = {t["name"] for t in report["tests"]}
    assert {"test_exp_has_exact_forward_values_and_local_gradients_in_random_graphs",
            "test_sigmoid_gradients_agree_with_finite_differences_of_your_forward_pass",
            "test_sigmoid_is_one_over_one_plus_exp_of_minus_x", *HIDDEN} <= names
    assert "test_draw_dot_labels_show_each_values_grad" not in names


@pytest.mark.parametrize("operation, wrong", [
    ("exp", ("self.grad += out.data * out.grad", "self.grad += out.grad")),
    ("sigmoid", ("self.grad += s * (1.0 - s) * out.grad", "self.grad += s * out.grad")),
])
def test_a_wrong_derivative_of_a_new_operation_costs_its_own_checks_only(course, tmp_path, operation, wrong):
    folder = extended_reference(course.extra_operations, tmp_path / "mutant")
    engine = folder / "micrograd" / "engine.py"
    text = engine.read_text()
    assert wrong[0] in text
    engine.write_text(text.replace(wrong[0], wrong[1]))
    report = grading.grade(folder, tmp_path / "r.json", milestones=["m1"], course=PACK,
                           output=open(tmp_path / "log", "w"))
    lost = {t["name"]: t["feedback"] for t in report["tests"] if t["status"] != "passed"}
    assert set(lost) == {f"test_{operation}_has_exact_forward_values_and_local_gradients_in_random_graphs",
                         f"test_{operation}_gradients_agree_with_finite_differences_of_your_forward_pass"}, lost
    assert all(f".{operation}()" in feedback for feedback in lost.values())  # the failing program shows it


def test_a_release_from_the_pack_ships_no_hidden_check_and_the_new_stubs(tmp_path):
    out = tmp_path / "kit"
    assert main(["release", "--out", str(out), "--course", str(PACK)]) == 0
    for path in out.rglob("*"):
        if path.is_file():
            assert not any(name.encode() in path.read_bytes() for name in HIDDEN), path
    engine = (out / "student_template" / "micrograd" / "engine.py").read_text()
    assert "def exp(self):" in engine and "def sigmoid(self):" in engine
    assert (out / "course" / "checks" / "test_sigmoid.py").is_file()
    shipped = courses.load(out / "course")
    assert shipped.extra_operations == ("exp", "sigmoid") and not shipped.hidden_checks()


def test_a_gradescope_bundle_from_the_pack_carries_it_whole(tmp_path):
    out = tmp_path / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(out), "--course", str(PACK)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.read("kit/course/course.toml") == (PACK / "course.toml").read_bytes()
        assert "kit/course/checks/test_sigmoid.py" in zf.namelist()


def test_the_kits_files_are_untouched_by_all_of_this():
    assert not (KIT / "course").exists()  # nothing was written into the kit: the pack stays in examples/
