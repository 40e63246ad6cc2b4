"""Course packs (micrograde/course/): course.toml validated against specs/course.schema.json,
points, switched-off checks, titles and visibility in the rubric and every export, the
pack's hash in reports and the batch cache key, the M4 task, `course init`/`course check`,
and a release that ships no hidden check."""
import json
import zipfile
from pathlib import Path

import pytest

from micrograde import course as courses
from micrograde import rubric
from micrograde.batch import cache
from micrograde.cli import main
from micrograde.course import student, task as course_task
from micrograde.errors import CourseError
from micrograde.report import gradescope, junit, markdown
from micrograde.report.build import build_report, result
from micrograde.report.io import validate_report
from micrograde.trusted import mlp
from micrograde.trusted.operations import CATALOGUE

KIT = Path(__file__).resolve().parents[1]
LIMITS = {"memory_mb": 512, "cpu_seconds": 60, "file_size_mb": 8, "processes": 8, "open_files": 64,
          "output_kb": 64, "probe_timeout_s": 10.0, "run_timeout_s": 300.0}


def pack(tmp_path, text: str, files: dict | None = None) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    (folder / "course.toml").write_text(text)
    for rel, content in (files or {}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(content)
    return folder


SMALL = """
[course]
name = "CS 101"
[milestones.m1]
title = "Values"
[checks.test_repr_shows_data_and_grad]
points = 5
visibility = "hidden"
[checks.test_pow_with_a_float_exponent]
enabled = false
[checks.test_neg_flips_value_and_gradient]
visibility = "after_due_date"
"""


# --- the pack and its errors -----------------------------------------------------------

def test_an_empty_pack_is_the_default_course_with_the_same_hash_and_rubric(tmp_path):
    course = courses.load(pack(tmp_path, ""))
    assert course.sha256 == courses.DEFAULT.sha256
    assert rubric.checks(course=course) == rubric.checks()
    assert all(rubric.visibility(name, course) == "visible" for _, name, _ in rubric.checks())


def test_comments_and_spacing_do_not_change_the_hash_but_a_setting_does(tmp_path):
    a = courses.load(pack(tmp_path, SMALL)).sha256
    b = courses.load(pack(tmp_path, "# a comment\n" + SMALL.replace("points = 5", "points   =   5"))).sha256
    c = courses.load(pack(tmp_path, SMALL.replace("points = 5", "points = 6"))).sha256
    assert a == b != c


@pytest.mark.parametrize("text, where, allowed", [
    ("[checks.test_repr_shows_data_and_grad]\nvisibility = 'secret'\n", "checks.test_repr_shows_data_and_grad.visibility",
     "'visible', 'after_due_date', 'after_published', 'hidden'"),
    ("[checks.test_repr_shows_data_and_grad]\npoint = 2\n", "checks.test_repr_shows_data_and_grad",
     "allowed: enabled, milestone, points, visibility"),
    ("[checks.test_repr_shows_data_and_grad]\npoints = 'two'\n", "checks.test_repr_shows_data_and_grad.points", "number"),
    ("[operations]\nextra = ['tan']\n", "operations.extra.0", "'exp', 'log', 'sigmoid'"),
    ("[task]\nkind = 'spiral'\n", "task.kind", "'seeded', 'xor', 'moons', 'csv'"),
    ("[checks.test_no_such_check]\npoints = 1\n", "checks.test_no_such_check", "not in specs/rubric.json"),
    ("[milestones.m9]\ntitle = 'x'\n", "m9", "allowed: m1, m2, m3, m4"),
    ("[task]\nkind = 'csv'\n", "task.csv", "missing"),
])
def test_a_bad_setting_names_the_file_the_key_and_what_is_allowed(tmp_path, text, where, allowed):
    folder = pack(tmp_path, text)
    with pytest.raises(CourseError) as e:
        courses.load(folder)
    message = str(e.value)
    assert message.startswith(str(folder / "course.toml")) and where in message and allowed in message, message


def test_a_pack_without_course_toml_or_with_broken_toml_is_one_line_and_exit_status_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["course", "check", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "course.toml: missing" in err and "course init" in err
    assert main(["course", "check", str(pack(tmp_path, "[task\n"))]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_an_instructor_check_needs_its_rubric_entry_and_its_milestone(tmp_path):
    check = "def test_value_squares(sandbox):\n    pass\n"
    with pytest.raises(CourseError, match="has no entry in .*course.toml"):
        courses.load(pack(tmp_path, "", {"checks/test_mine.py": check}))
    with pytest.raises(CourseError, match="milestone: missing"):
        courses.load(pack(tmp_path, "[checks.test_value_squares]\npoints = 2\n", {"checks/test_mine.py": check}))
    course = courses.load(pack(tmp_path, "[checks.test_value_squares]\npoints = 2\nmilestone = 'm1'\n",
                               {"checks/test_mine.py": check}))
    m1 = [name for m, name, _ in rubric.checks(["m1"], course)]
    assert m1[-1] == "test_value_squares" and ("m1", "test_value_squares", 2) in rubric.checks(course=course)


def test_the_catalogue_and_the_schema_name_the_same_operations():
    enum = courses.schema()["properties"]["operations"]["properties"]["extra"]["items"]["enum"]
    assert sorted(enum) == sorted(CATALOGUE)


# --- the rubric and the report -----------------------------------------------------------

def test_a_course_sets_points_switches_checks_off_and_retitles_milestones(tmp_path):
    course = courses.load(pack(tmp_path, SMALL))
    checks = {name: points for _, name, points in rubric.checks(course=course)}
    assert checks["test_repr_shows_data_and_grad"] == 5
    assert "test_pow_with_a_float_exponent" not in checks
    assert rubric.title("m1", course) == "Values" and rubric.title("m2", course) == rubric.title("m2")


def _report(course):
    results = {name: result("passed") for _, name, _ in rubric.checks(["m1"], course)}
    report = build_report(results=results, milestones=["m1"], seed=2026, submission_path="/s", sha256="ab" * 32,
                          limits=LIMITS, duration_s=1.0, course=course)
    validate_report(report)
    return report


def test_a_report_says_which_course_graded_it_and_each_checks_visibility(tmp_path):
    course = courses.load(pack(tmp_path, SMALL))
    report = _report(course)
    assert report["course"] == {"name": "CS 101", "sha256": course.sha256, "path": str(course.root)}
    seen = {t["name"]: t.get("visibility") for t in report["tests"]}
    assert seen["test_repr_shows_data_and_grad"] == "hidden"
    assert seen["test_neg_flips_value_and_gradient"] == "after_due_date"
    assert seen["test_add_computes_the_sum_and_passes_the_gradient_to_both_operands"] is None
    assert report["max_score"] == 25 - 1 + 4  # the float power switched off, repr worth 5
    assert _report(None)["course"] == {"name": "default", "sha256": courses.DEFAULT.sha256}


def test_student_facing_exports_honour_visibility(tmp_path):
    report = _report(courses.load(pack(tmp_path, SMALL)))
    results = gradescope.to_results(report)
    by_name = {t["name"].split(" ", 1)[1]: t["visibility"] for t in results["tests"]}
    assert by_name["test_repr_shows_data_and_grad"] == "hidden"
    assert by_name["test_neg_flips_value_and_gradient"] == "after_due_date"
    assert by_name["test_add_computes_the_sum_and_passes_the_gradient_to_both_operands"] == "visible"
    assert results["score"] == report["score"]  # the official score counts every check
    assert "22 / 22" in results["output"] and "2 more checks" in results["output"]
    for text in (markdown.render(report), junit.render(report)):
        assert "test_repr_shows_data_and_grad" not in text and "test_neg_flips_value_and_gradient" not in text
        assert "test_add_computes_the_sum_and_passes_the_gradient_to_both_operands" in text


def test_the_batch_cache_key_changes_with_the_course(tmp_path):
    course = courses.load(pack(tmp_path, SMALL))
    from micrograde.grading_key import grading_key
    settings = dict(seed=2026, milestones=["m1"], limits=LIMITS, integrity_policy="report")
    report = {**_report(course), "grading_key": grading_key(**settings, course=course.sha256)}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    same = cache.wanted_key("ab" * 32, grading_key(**settings, course=course.sha256))
    assert cache.reusable_report(path, same) is not None
    default = cache.wanted_key("ab" * 32, grading_key(**settings, course=courses.DEFAULT.sha256))
    assert cache.reusable_report(path, default) is None


# --- course init / course check ----------------------------------------------------------

def test_course_init_spells_out_every_default_and_course_check_prints_the_rubric(tmp_path, capsys):
    folder = tmp_path / "mine"
    assert main(["course", "init", str(folder)]) == 0
    course = courses.load(folder)
    assert rubric.checks(course=course) == rubric.checks()
    assert course.task == {"kind": "seeded"} and course.extra_operations == ()
    text = (folder / "course.toml").read_text()
    for _, name, _ in rubric.checks():
        assert f"[checks.{name}]" in text
    capsys.readouterr()
    assert main(["course", "check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "test_backward_matches_exact_gradients_on_random_graphs" in out and "total: 100 points" in out
    assert main(["course", "init", str(folder)]) == 2  # never overwrites


# --- the M4 task --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["xor", "moons"])
def test_xor_and_moons_have_at_least_20_points_and_the_kits_sgd_learns_them(tmp_path, kind):
    course = courses.load(pack(tmp_path, f"[task]\nkind = '{kind}'\n"))
    task = course_task.task_for(course, 2026)
    assert len(task.xs) >= 20 and task.start_mse > 0.05
    trained, _ = mlp.sgd_train(task.start, task.nin, task.nouts, task.xs, task.ys, task.epochs, task.lr)
    assert mlp.mse(trained, task.nin, task.nouts, task.xs, task.ys) < task.target_mse / 2


def test_an_instructors_csv_is_the_task_and_an_unlearnable_budget_is_refused(tmp_path):
    rows = "x1,x2,y\n" + "".join(f"{i / 12 - 1:.3f},{(i * 7 % 24) / 12 - 1:.3f},{0.3 * ((i % 3) - 1):.2f}\n"
                                 for i in range(24))
    course = courses.load(pack(tmp_path, "[task]\nkind = 'csv'\ncsv = 'points.csv'\nepochs = 1\n",
                               {"points.csv": rows}))
    with pytest.raises(CourseError, match="the kit's own SGD does not bring .* raise epochs"):
        course_task.task_for(course, 2026)
    short = courses.load(pack(tmp_path, "[task]\nkind = 'csv'\ncsv = 'points.csv'\n", {"points.csv": "1,2,3\n"}))
    with pytest.raises(CourseError, match="at least 20"):
        course_task.task_for(short, 2026)


def test_the_default_course_keeps_todays_seeded_task():
    from micrograde import training_task
    assert course_task.task_for(courses.DEFAULT, 7) == training_task.regression_task(7)


# --- the release and the bundle -----------------------------------------------------------

def test_a_release_ships_no_hidden_check_neither_code_nor_name(tmp_path):
    course = courses.load(pack(tmp_path, SMALL + "[checks.test_secret_sauce]\nmilestone = 'm2'\nvisibility = 'hidden'\n"
                                         "[checks.test_open_check]\nmilestone = 'm2'\n",
                               {"checks/test_instructor.py": "def test_secret_sauce(sandbox):\n    assert True\n\n\n"
                                                            "def test_open_check(sandbox):\n    assert True\n"}))
    out = tmp_path / "kit"
    assert main(["release", "--out", str(out), "--course", str(course.root)]) == 0
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"test_repr_shows_data_and_grad" not in data and b"test_secret_sauce" not in data, path
    assert "def test_open_check" in (out / "course" / "checks" / "test_instructor.py").read_text()
    assert "test_repr_shows_data_and_grad" not in (out / "specs" / "rubric.json").read_text()
    shipped = (out / "course" / "course.toml").read_text()
    assert "test_neg_flips_value_and_gradient" in shipped and "enabled = false" in shipped
    student.refuse_hidden_names(out, course.hidden_checks())  # the release's own last scan agrees


def test_a_gradescope_bundle_ships_the_whole_course_for_the_official_grade(tmp_path):
    folder = pack(tmp_path, SMALL)
    out = tmp_path / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(out), "--course", str(folder)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.read("kit/course/course.toml").decode() == SMALL


# --- instructor checks ------------------------------------------------------------------------

INSTRUCTOR_CHECKS = '''from micrograde.checks import run
from micrograde.expect import expect_close


def test_a_value_times_itself_is_its_square(sandbox):
    def square(mg, x):
        v = mg.Value(x)
        out = v * v
        out.grad = 1.0
        out._backward()
        return [out.data, v.grad]

    data, grad = run(sandbox, square, "Value(3.0) * itself", x=3.0)
    expect_close(data, 9.0, "(v * v).data for v = Value(3.0)")
    expect_close(grad, 6.0, "v.grad after (v * v)._backward() with out.grad = 1")


def test_a_check_that_brings_the_kit_into_the_worker(sandbox):
    def cheat(mg):
        from micrograde.trusted import programs
        return programs.__name__

    run(sandbox, cheat, "cheat")
'''
INSTRUCTOR_TOML = """
[checks.test_a_value_times_itself_is_its_square]
milestone = "m1"
points = 2
[checks.test_a_check_that_brings_the_kit_into_the_worker]
milestone = "m1"
visibility = "hidden"
[checks.test_repr_shows_data_and_grad]
enabled = false
"""


def test_instructor_checks_run_in_the_worker_and_one_importing_the_kit_is_refused(tmp_path):
    from micrograde import grading

    folder = pack(tmp_path, INSTRUCTOR_TOML, {"checks/test_instructor.py": INSTRUCTOR_CHECKS})
    reports = {}
    for who in ("reference", "student_template"):
        reports[who] = grading.grade(KIT / who, tmp_path / f"{who}.json", milestones=["m1"], course=folder,
                                     output=open(tmp_path / f"{who}.log", "w"))
    ref = {t["name"]: t for t in reports["reference"]["tests"]}
    assert ref["test_a_value_times_itself_is_its_square"]["status"] == "passed"
    refused = ref["test_a_check_that_brings_the_kit_into_the_worker"]
    assert refused["status"] == "error" and "refused" in refused["feedback"] and "micrograde.trusted" in refused["feedback"]
    assert "test_repr_shows_data_and_grad" not in ref
    assert all(t["status"] == "passed" for name, t in ref.items() if name != refused["name"])
    assert reports["student_template"]["score"] == 0
    assert reports["reference"]["course"]["sha256"] == courses.load(folder).sha256


def test_a_grading_process_that_ends_before_its_report_is_said_to_and_points_to_its_output(tmp_path):
    """An instructor check runs in the grading process: one that ends it (here, status 7) is not
    the submission's doing, and the note must not guess that it is."""
    from micrograde import grading

    folder = pack(tmp_path, '[checks.test_the_grading_process_ends]\nmilestone = "m1"\n',
                  {"checks/test_ends.py": "import os\n\n\ndef test_the_grading_process_ends(sandbox):\n    os._exit(7)\n"})
    report = grading.grade(KIT / "reference", tmp_path / "r.json", milestones=["m1"], course=folder,
                           output=open(tmp_path / "log", "w"))
    assert report["status"] == "incomplete", report
    assert "the grading process exited with status 7 before writing its report (its output says why)" in report["note"]
    assert "submission" not in report["note"], report["note"]


def test_the_worker_refuses_instructor_code_that_imports_the_kit_too():
    from micrograde.errors import KitError
    from micrograde.probes import course as probe

    with pytest.raises(KitError, match="may not import the kit"):
        probe.run("def f(mg):\n    import micrograde.trusted.programs\n", "f", {})
    with pytest.raises(KitError, match="may not import the kit"):
        probe.run("def f(mg):\n    return __import__('micrograde.trusted')\n", "f", {})


def test_the_contracts_course_operations_are_the_catalogues_methods():
    from micrograde.spec import course_operation_methods
    assert course_operation_methods() == {name: op.method for name, op in CATALOGUE.items()}


def test_a_release_of_a_course_with_extra_operations_has_their_stubs_in_the_template(tmp_path):
    folder = pack(tmp_path, "[operations]\nextra = ['exp', 'pow_value']\n")
    out = tmp_path / "kit"
    assert main(["release", "--out", str(out), "--course", str(folder)]) == 0
    engine = (out / "student_template" / "micrograd" / "engine.py").read_text()
    assert "def exp(self):" in engine and 'NotImplementedError("M1: implement Value.exp' in engine
    assert "d/dx exp(x) = exp(x)" in engine and "d/db a**b = a**b * log(a)" in engine
    compile(engine, "engine.py", "exec")


# --- a wrong derivative of every operation of the catalogue is caught, and blamed on it --------

# (operation, the model solution's line, the classic wrong one): each a student bug.
OPERATION_MUTANTS = [
    ("exp", "self.grad += out.data * out.grad", "self.grad += out.grad"),                       # d(e^x) = 1
    ("log", "self.grad += out.grad / self.data", "self.grad += out.grad * self.data"),           # x, not 1/x
    ("sigmoid", "self.grad += s * (1.0 - s) * out.grad", "self.grad += (1.0 - s * s) * out.grad"),  # tanh's
    ("abs", "(1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0)", "1.0"),               # no sign
    ("sqrt", "self.grad += 0.5 / out.data * out.grad", "self.grad += 0.5 * out.data * out.grad"),  # sqrt, not 1/sqrt
    ("pow_value", "other.grad += out.data * math.log(self.data) * out.grad",
     "other.grad += out.data * out.grad"),                                                     # forgot log(a)
]


@pytest.mark.parametrize("operation, right, wrong", OPERATION_MUTANTS, ids=[m[0] for m in OPERATION_MUTANTS])
def test_a_wrong_derivative_of_each_operation_costs_that_operations_checks_only(tmp_path, operation, right, wrong):
    lost = _lost_in_m1(tmp_path, operation, right, wrong)
    assert lost == {name for name, _ in rubric.operation_checks("m1", [operation])}, lost


def _lost_in_m1(tmp_path, operation: str, right: str, wrong: str) -> set:
    """The M1 checks lost by the reference extended with `operation`, with `right` made `wrong`
    in its engine, under a course that adds that operation."""
    from micrograde import grading
    from micrograde.course.extend import extended_reference

    folder = pack(tmp_path, f"[operations]\nextra = ['{operation}']\n")
    mutant = extended_reference([operation], tmp_path / "mutant")
    engine = mutant / "micrograd" / "engine.py"
    text = engine.read_text()
    assert text.count(right) == 1
    engine.write_text(text.replace(right, wrong))
    report = grading.grade(mutant, tmp_path / "r.json", milestones=["m1"], course=folder,
                           output=open(tmp_path / "log", "w"))
    return {t["name"] for t in report["tests"] if t["status"] != "passed"}


# (operator, the model solution's line, a broken one): operators the extra operations'
# graphs are made with, each charged in its own check.
OPERATOR_MUTANTS = [
    ("rsub", "return other + (-self)", "return self + (-other)"),  # 2 - x computed as x - 2
    ("mul", "self.grad += other.data * out.grad", "self.grad += out.grad"),  # d(a*b)/da = 1
]


@pytest.mark.parametrize("operator, right, wrong", OPERATOR_MUTANTS, ids=[m[0] for m in OPERATOR_MUTANTS])
def test_a_broken_operator_is_charged_in_its_own_check_not_again_in_the_operations(tmp_path, operator, right, wrong):
    from micrograde.capabilities import owners

    lost = _lost_in_m1(tmp_path, "exp", right, wrong)
    assert owners(operator)[0] in lost, lost
    assert not lost & {name for name, _ in rubric.operation_checks("m1", ["exp"])}, lost


def test_the_reference_with_every_operation_of_the_catalogue_gets_full_marks_in_m1(tmp_path):
    from micrograde import grading
    from micrograde.course.extend import extended_reference

    folder = pack(tmp_path, f"[operations]\nextra = {list(CATALOGUE)!r}\n")
    reference = extended_reference(list(CATALOGUE), tmp_path / "reference")
    report = grading.grade(reference, tmp_path / "r.json", milestones=["m1"], course=folder,
                           output=open(tmp_path / "log", "w"))
    assert report["score"] == report["max_score"] > 25, [t["name"] for t in report["tests"] if t["status"] != "passed"]
    assert len([t for t in report["tests"] if t["name"].startswith(tuple(f"test_{op}_" for op in CATALOGUE))]) == 12


def test_a_check_of_an_extra_operation_cannot_be_hidden(tmp_path):
    text = ("[operations]\nextra = ['exp']\n[checks.test_exp_gradients_agree_with_finite_differences_of_your_forward_pass]\n"
            "visibility = 'hidden'\n")
    with pytest.raises(CourseError, match="cannot be hidden"):
        courses.load(pack(tmp_path, text))
