"""Seeds no worker can invert: what the worker sees says nothing it could turn back into the grading seed."""
import random

from micrograde import seeds, training_task

CHECK = "test_neuron_weights_are_uniform_in_minus_one_to_one"


def test_derived_seeds_are_64_bit_keyed_hashes_that_change_completely_with_the_grading_seed():
    for seed in range(200):
        a, b = seeds.derived(seed, f"check {CHECK}"), seeds.derived(seed + 1, f"check {CHECK}")
        assert 2**32 <= a < 2**64  # no 32-bit bottleneck a brute force could enumerate
        assert 12 <= bin(a ^ b).count("1") <= 52  # neighbouring seeds share no visible structure
    assert seeds.derived(7, "check a") != seeds.derived(7, "check b")


def test_the_submissions_random_state_is_the_same_whatever_the_grading_seed():
    # The worker can read random.getstate() after the probe seeds it: that state must be a
    # function of the check alone, so two private seeds give the worker the same view.
    states = []
    for _private in (3, 2**62 + 11):
        rng = random.Random(seeds.student_seed(CHECK))
        states.append(rng.getstate())
    assert states[0] == states[1]
    assert seeds.student_seed(CHECK) != seeds.student_seed("test_layer_returns_one_output_per_neuron")


def test_the_m4_task_the_worker_sees_differs_between_private_seeds_and_is_drawn_from_a_keyed_hash():
    a, b = training_task.regression_task(2**62 + 1), training_task.regression_task(2**62 + 2)
    assert a.xs != b.xs and a.start != b.start
    # The task's generator is seeded with the 64-bit HMAC, not the seed or a 32-bit digest of it.
    assert seeds.derived(2**62 + 1, "m4 task") >= 2**32 and a == training_task.regression_task(2**62 + 1)


# The attack of issue 19: read random.getstate() where the probe has just seeded it, and
# invert it to the private seed. A sound grader: what the worker sees is the same whatever
# the grading seed, so there is nothing to invert.
READ_THE_RANDOM_STATE = """
import hashlib as _hashlib, random as _random
print("random state", _hashlib.sha256(repr(_random.getstate()).encode()).hexdigest()[:16])
"""


def test_the_worker_sees_the_same_random_state_under_two_private_seeds(tmp_path):
    from corpus import grade, patched_reference
    from hostile import FAST_LIMITS, at_function_start

    sub = patched_reference(tmp_path / "reader", [
        at_function_start("nn", 'def __init__(self, nin, activation="tanh"):', READ_THE_RANDOM_STATE)])
    seen = []
    for private in (2**62 + 12345, 2**61 + 999):
        report = grade(sub, tmp_path / f"{private}.json", milestones=["m3"], seed=private, limits=FAST_LIMITS)
        printed = "".join(t.get("output") or "" for t in report["tests"])
        states = sorted(set(line for line in printed.splitlines() if line.startswith("random state")))
        assert states, "the reader never ran: this test proves nothing"
        seen.append(states)
    assert seen[0] == seen[1]
