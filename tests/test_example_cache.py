"""Draw once per seed (micrograde/examples/): a property check run from the example cache
judges exactly as Hypothesis alone would, and the cache never serves a stale or damaged entry.

The first tests use small property tests of their own, whose body logs what it is asked
(standing in for the worker), so that "the same" covers what the submission sees too. The
last test compares real gradings of mutants with the cache and without.
"""
import io
import os
import pickle
import subprocess
import sys

import pytest
from hypothesis import strategies as st

import corpus
from micrograde import examples
from micrograde.examples import replay, store
from micrograde.exprgen import Programs
from micrograde.spec import KIT_ROOT
from mutants import MUTANTS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(store.ENV, str(folder))
    return folder


def _entries(folder):
    return sorted((folder / "examples").rglob("*.pickle")) if folder.exists() else []


def property_check(fails_at=None, seed=7, draw_more=False):
    """A property check like a grader's: logs each example it is asked about, and fails
    (an AssertionError, a verdict) on examples of x above `fails_at`."""
    asked = []

    @examples.property_check
    def check_something(data):
        x = data.draw(st.integers(0, 10_000), label="x")
        y = data.draw(st.integers(0, 50), label="y")
        if draw_more:
            data.draw(st.booleans(), label="extra")
        asked.append((x, y))
        assert fails_at is None or x + y <= fails_at, f"x + y = {x + y} is above {fails_at}"

    return check_something.property_check, seed, asked


def run(check, variant=""):
    """What the check's body was asked, in order, and how the check ended."""
    test, seed, asked = check
    try:
        examples.run(test, {}, seed, variant=variant)
        verdict = "passed"
    except AssertionError as e:
        verdict = str(e)
    return asked, verdict


def test_a_passing_check_is_answered_from_the_cache_the_second_time(cache):
    first = run(property_check())
    assert len(_entries(cache)) == 1
    stamp = _entries(cache)[0].stat().st_mtime_ns
    second = run(property_check())
    assert second == first and first[1] == "passed" and len(first[0]) > 50
    assert _entries(cache)[0].stat().st_mtime_ns == stamp  # read, not rebuilt


def test_a_failing_check_shrinks_to_the_same_example_and_asks_the_same_questions(cache, monkeypatch):
    run(property_check())  # a passing submission fills the cache
    for fails_at in (9_000, 500, 20):
        cached = run(property_check(fails_at))
        monkeypatch.setenv(store.ENV, "off")
        uncached = run(property_check(fails_at))
        monkeypatch.setenv(store.ENV, str(cache))
        assert cached[1] != "passed" and cached == uncached


def test_a_cache_that_is_off_stores_nothing(cache, monkeypatch):
    monkeypatch.setenv(store.ENV, "off")
    run(property_check())
    assert not cache.exists()


def test_another_seed_or_another_draw_is_another_entry(cache):
    run(property_check(seed=7))
    run(property_check(seed=8))
    assert len(_entries(cache)) == 2
    # The same test drawing one more value in its body leaves the recorded path: Hypothesis
    # grades it alone, and the entry is kept as the first run left it (not rewritten).
    stamps = {p: p.stat().st_mtime_ns for p in _entries(cache)}
    alone = run(property_check(seed=8, draw_more=True))
    assert alone[1] == "passed" and run(property_check(seed=8, draw_more=True)) == alone
    assert {p: p.stat().st_mtime_ns for p in _entries(cache)} == stamps


def test_a_damaged_entry_is_ignored_and_rebuilt(cache):
    expected = run(property_check())
    [entry] = _entries(cache)
    entry.write_bytes(entry.read_bytes()[:100])
    assert run(property_check()) == expected
    assert replay._valid(store.load(entry.stem))


def test_an_entry_that_would_run_code_is_refused(cache):
    class Planted:
        def __reduce__(self):
            return (os.system, ("echo planted",))

    run(property_check())
    [entry] = _entries(cache)
    entry.write_bytes(pickle.dumps([Planted()]))
    assert store.load(entry.stem) is None
    with pytest.raises(pickle.UnpicklingError):
        store._PlainUnpickler(io.BytesIO(pickle.dumps(Planted()))).load()


def test_a_changed_kit_never_reads_an_old_entry(cache, monkeypatch):
    run(property_check())
    old = store.key("x")
    monkeypatch.setattr(store, "kit_digest", lambda: "another kit")
    assert store.key("x") != old


def test_each_parametrization_of_a_check_has_its_own_entry(cache):
    for variant in ("exp", "log", "exp"):
        run(property_check(), variant)
    assert len(_entries(cache)) == 2


# Mutants whose bug a random-graph check finds and shrinks (the Hypothesis-dependent
# feedback), one each from the other milestones, graded with the cache and without.
SAMPLE = ("pow_backward_missing_k", "div_denominator_gradient_sign", "backward_without_a_visited_set",
          "backward_in_topological_not_reverse_order", "tanh_backward_from_the_input", "weights_all_positive",
          "sgd_ascends_the_gradient")


def test_mutants_get_the_same_report_with_the_cache_as_without(tmp_path, cache, monkeypatch):
    by_id = {m.id: m for m in MUTANTS}
    chosen = [by_id[i] for i in SAMPLE]
    corpus.grade(corpus.REFERENCE, tmp_path / "reference.json")  # fills the cache
    filled = {p: p.stat().st_mtime_ns for p in _entries(cache)}
    assert len(filled) >= 3
    for mutant in chosen:
        submission = corpus.patched_reference(tmp_path / mutant.id, mutant.patches)
        milestones = [mutant.milestone]
        cached = corpus.grade(submission, tmp_path / f"{mutant.id}-cached.json", milestones=milestones)
        monkeypatch.setenv(store.ENV, "off")
        uncached = corpus.grade(submission, tmp_path / f"{mutant.id}-uncached.json", milestones=milestones)
        monkeypatch.setenv(store.ENV, str(cache))
        assert cached["score"] < cached["max_score"], mutant.id
        assert corpus.check_results(cached) == corpus.check_results(uncached), mutant.id
    # The entries the reference left were read, never rebuilt (a mutant whose profile draws
    # from other operators keeps entries of its own).
    assert {p: p.stat().st_mtime_ns for p in filled} == filled


def test_a_submission_with_a_broken_operator_first_leaves_the_reference_its_own_entries(tmp_path, cache):
    """The random-graph checks draw from the operators that work: a class whose first
    submission has a broken `+` must not leave entries every later submission misses."""
    broken = next(m for m in MUTANTS if m.id == "add_passes_gradient_to_one_operand_only")
    submission = corpus.patched_reference(tmp_path / broken.id, broken.patches)
    corpus.grade(submission, tmp_path / "broken.json", milestones=["m1", "m2"])
    after_broken = set(_entries(cache))
    corpus.grade(corpus.REFERENCE, tmp_path / "first.json", milestones=["m1", "m2"])
    own = {p: p.stat().st_mtime_ns for p in _entries(cache)}
    # The reference's random-graph checks (one in M1, two in M2) recorded entries of their own...
    assert len(set(own) - after_broken) >= 3
    corpus.grade(corpus.REFERENCE, tmp_path / "second.json", milestones=["m1", "m2"])
    # ...which its next grading reads, rewriting nothing.
    assert {p: p.stat().st_mtime_ns for p in _entries(cache)} == own


def test_a_program_drawn_from_the_cache_is_the_one_hypothesis_draws(cache):
    """What a grader's body draws (exprgen.Programs) names the strategy Hypothesis draws from."""
    drawn = []

    @examples.property_check
    def check_programs(data):
        drawn.append(data.draw(Programs(ops=("mul", "add"), max_ops=4), label="program"))

    examples.run(check_programs.property_check, {}, 3)
    recorded, drawn[:] = list(drawn), []
    examples.run(check_programs.property_check, {}, 3)
    assert drawn == recorded and all(op.kind in ("add", "mul") for p in drawn for op in p.ops)


def test_a_grading_from_a_warm_cache_never_imports_hypothesis(tmp_path, cache):
    """Replaying is the point of the cache: importing Hypothesis is a fifth of a grading's start-up."""
    script = ("import sys, pytest\n"
              f"code = pytest.main(['graders/m1', '--submission={corpus.REFERENCE}', '--report={tmp_path / 'r.json'}',"
              " '-q'])\n"
              "print(int(code), 'hypothesis' in sys.modules)")
    env = {**os.environ, store.ENV: str(cache), "PYTHONPATH": str(KIT_ROOT / "graders")}
    runs = [subprocess.run([sys.executable, "-c", script], cwd=KIT_ROOT, env=env, capture_output=True, text=True)
            for _ in range(2)]
    assert [r.stdout.split()[-2:] for r in runs] == [["0", "True"], ["0", "False"]], runs
