"""Grader accuracy: every classic bug costs points, every correct variant gets full marks.

Gradings are slow (seconds each), so the first test that needs one submits every grading
the collected tests will need to a pool of two processes; each test then waits only for its
own. (grade() may also run concurrently in one process: test_grading checks that.)
"""
import json
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import corpus
from micrograde.spec import KIT_ROOT, SPECS_DIR
from mutants import MILESTONES, MUTANTS
from variants import VARIANTS

KARPATHY = Path(__file__).parent / "layouts" / "karpathy"
TABLE = KIT_ROOT / "build" / "mutation_score.md"
MUTANT = {m.id: m for m in MUTANTS}
VARIANT = {v.id: v for v in VARIANTS}
# Bugs in backward() (M2) and in pow (M1) that the random-graph checks find and shrink:
# the most Hypothesis-dependent feedback there is, so the one to grade three times.
REPEATED = (("engine", "self.grad += other * self.data ** (other - 1) * out.grad",
             "self.grad += other * self.data ** other * out.grad"),
            ("engine", "for node in reversed(order):", "for node in order:"))
MISSING_PACKAGE = "micrograde_no_such_package"


def _build(key, dest: Path) -> tuple[Path, list]:
    """The submission a grading key names, and the milestones to grade."""
    kind, name = key
    if kind == "mutant":
        return corpus.patched_reference(dest, MUTANT[name].patches), [MUTANT[name].milestone]
    if kind == "variant":
        return corpus.patched_reference(dest, VARIANT[name].patches), None
    if kind == "reference":
        return corpus.REFERENCE, None
    if kind == "repeat":
        return corpus.patched_reference(dest, REPEATED), ["m1", "m2"]
    if kind == "karpathy":
        return KARPATHY, None
    if kind == "third_party_import":
        init = f'"""A package that needs a library nobody installed."""\nimport {MISSING_PACKAGE}\n'
        return corpus.patched_reference(dest, files={"micrograd/__init__.py": init}), None
    raise KeyError(key)


def _needs(item) -> list:
    """The gradings one collected test uses."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    name = getattr(item, "originalname", item.name)
    if "mutant" in params:
        return [("mutant", params["mutant"])]
    if "variant" in params:
        return [("variant", params["variant"])]
    return {
        "test_the_reference_gets_full_marks": [("reference", "")],
        "test_three_gradings_of_one_submission_are_identical": [("repeat", i) for i in range(3)],
        "test_mutation_score_table": [("mutant", m.id) for m in MUTANTS],
        "test_karpathy_layout_is_graded_as_it_is": [("karpathy", "")],
        "test_karpathy_layout_hears_what_is_missing_and_never_crashes_the_grader": [("karpathy", "")],
        "test_third_party_import_layout_gets_zero_naming_the_module": [("third_party_import", "")],
    }.get(name, [])


def grade_key(key, folder: Path) -> dict:
    """Build and grade one submission (in a pool process)."""
    submission, milestones = _build(key, folder / "submission")
    return corpus.grade(submission, folder / "report.json", milestones=milestones)


class Gradings:
    def __init__(self, root: Path):
        self.root = root
        self.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        self.futures = {}
        self.lock = threading.Lock()

    def submit(self, key):
        with self.lock:
            if key not in self.futures:
                self.futures[key] = self.pool.submit(grade_key, key, self.root / f"{key[0]}-{key[1]}")
            return self.futures[key]

    def __getitem__(self, key) -> dict:
        return self.submit(key).result()


@pytest.fixture(scope="session")
def gradings(request, tmp_path_factory):
    g = Gradings(tmp_path_factory.mktemp("accuracy"))
    for item in request.session.items:
        if item.module.__name__ == __name__:
            for key in _needs(item):
                g.submit(key)
    yield g
    g.pool.shutdown(cancel_futures=True)


def _caught(mutant, report) -> tuple[bool, bool]:
    """(lost points in its milestone, a failing check's feedback names the blamed operation)."""
    lost = report["milestones"][mutant.milestone]["score"] < report["milestones"][mutant.milestone]["max_score"]
    failing = [t for t in report["tests"] if t["score"] < t["max_score"]]
    return lost, any(mutant.blame in t["feedback"] for t in failing)


def _lost(report) -> str:
    return "\n".join(f"{t['name']} ({t['status']}): {t['feedback'][:300]}"
                     for t in report["tests"] if t["score"] < t["max_score"])


def test_the_corpus_is_at_least_35_mutants_over_all_milestones_and_6_variants():
    assert len(MUTANTS) >= 35 and len(VARIANTS) >= 6
    assert {m.milestone for m in MUTANTS} == set(MILESTONES)
    assert len({m.id for m in MUTANTS}) == len(MUTANTS) and len(VARIANT) == len(VARIANTS)


def test_every_mutant_and_variant_is_valid_python(tmp_path):
    # A mutant that does not even import would be caught for the wrong reason.
    for name, patches in [(m.id, m.patches) for m in MUTANTS] + [(v.id, v.patches) for v in VARIANTS]:
        submission = corpus.patched_reference(tmp_path / name, patches)
        for module in {module for module, _, _ in patches}:
            path = submission / "micrograd" / f"{module}.py"
            compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize("mutant", [m.id for m in MUTANTS])
def test_each_mutant_loses_points_where_its_bug_lives(gradings, mutant):
    m = MUTANT[mutant]
    report = gradings[("mutant", mutant)]
    lost, blamed = _caught(m, report)
    assert lost, f"{mutant} got full marks in {m.milestone}"
    assert blamed, f"no failing check of {mutant} names {m.blame!r}:\n{_lost(report)}"


def test_the_reference_gets_full_marks(gradings):
    report = gradings[("reference", "")]
    assert report["score"] == report["max_score"], _lost(report)
    assert report["integrity"] == []  # correct code is never flagged, contradictions included


@pytest.mark.parametrize("variant", [v.id for v in VARIANTS])
def test_each_correct_variant_gets_full_marks(gradings, variant):
    report = gradings[("variant", variant)]
    assert report["score"] == report["max_score"], _lost(report)
    assert [t["status"] for t in report["tests"]].count("passed") == len(report["tests"])
    assert report["integrity"] == []


def test_three_gradings_of_one_submission_are_identical(gradings):
    first, second, third = (gradings[("repeat", i)] for i in range(3))
    assert first["score"] < first["max_score"]
    assert corpus.check_results(first) == corpus.check_results(second) == corpus.check_results(third)


# ------------------------------------------------------------------------ real-world layouts

def test_karpathy_layout_is_graded_as_it_is(gradings):
    report = gradings[("karpathy", "")]
    checks = corpus.by_name(report)
    assert report["integrity"] == []
    assert report["milestones"]["m1"]["score"] == report["milestones"]["m1"]["max_score"], _lost(report)
    for name in ("test_relu_value_and_gradient", "test_relu_passes_zero_gradient_at_zero",
                 "test_backward_matches_exact_gradients_on_random_graphs",
                 "test_backward_agrees_with_finite_differences_of_your_forward_pass",
                 "test_backward_accumulates_through_shared_nodes", "test_backward_seeds_the_root_gradient_with_one",
                 "test_backward_twice_doubles_the_gradients",
                 "test_mlp_3_4_4_1_has_41_parameters", "test_mlp_parameter_count_for_several_shapes",
                 "test_layer_parameters_in_neuron_order", "test_neuron_parameters_are_weights_then_bias"):
        assert checks[name]["status"] == "passed", f"{name}: {checks[name]['feedback']}"


def test_karpathy_layout_hears_what_is_missing_and_never_crashes_the_grader(gradings):
    report = gradings[("karpathy", "")]
    assert report["status"] == "complete"
    checks = corpus.by_name(report)
    for name, missing in (("test_tanh_value_and_gradient_one_minus_t_squared", "tanh"),
                          ("test_numerical_grad_returns_central_differences", "numerical_grad is missing: not found"),
                          ("test_draw_dot_has_a_node_per_value_and_per_operation", "draw_dot is missing: not found"),
                          ("test_mse_is_the_mean_of_squared_differences", "mse_loss is missing: not found"),
                          ("test_sgd_step_subtracts_lr_times_grad", "SGD is missing: not found"),
                          ("test_train_returns_one_float_loss_per_epoch", "train is missing: not found")):
        assert checks[name]["status"] == "missing" and missing in checks[name]["feedback"], checks[name]
    for check in report["tests"]:
        assert check["status"] in ("passed", "failed", "missing", "error"), check
        assert check["status"] == "passed" or check["feedback"].strip(), check
        assert "KitError" not in check["feedback"] and "Traceback" not in check["feedback"], check


def test_third_party_import_layout_gets_zero_naming_the_module(gradings):
    report = gradings[("third_party_import", "")]
    assert report["score"] == 0
    for check in report["tests"]:
        assert MISSING_PACKAGE in check["feedback"], check


# ------------------------------------------------------------------------ the mutation score

def mutation_table(reports: dict) -> str:
    rows = ["| milestone | mutants | caught | blamed correctly |", "|---|---|---|---|"]
    totals = [0, 0, 0]
    for milestone in MILESTONES:
        ms = [m for m in MUTANTS if m.milestone == milestone]
        results = [_caught(m, reports[m.id]) for m in ms]
        counts = [len(ms), sum(lost for lost, _ in results), sum(lost and blamed for lost, blamed in results)]
        totals = [t + c for t, c in zip(totals, counts)]
        title = json.loads((SPECS_DIR / "rubric.json").read_text())[milestone]["title"]
        rows.append(f"| {milestone.upper()} {title} | {counts[0]} | {counts[1]}/{counts[0]} | {counts[2]}/{counts[0]} |")
    rows.append(f"| **all** | {totals[0]} | {totals[1]}/{totals[0]} | {totals[2]}/{totals[0]} |")
    return "\n".join(rows) + "\n"


def test_mutation_score_table(gradings, capsys):
    table = mutation_table({m.id: gradings[("mutant", m.id)] for m in MUTANTS})
    TABLE.parent.mkdir(exist_ok=True)
    TABLE.write_text(table)
    with capsys.disabled():
        print(f"\n\nmutation score (also in {TABLE.relative_to(KIT_ROOT)}):\n{table}")
    assert table.splitlines()[-1].count(f"{len(MUTANTS)}/{len(MUTANTS)}") == 2, table
