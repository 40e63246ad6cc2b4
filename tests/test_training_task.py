"""The M4 task is chosen from the grading seed and stays learnable for every seed.

The reference trains on the seed's task from the seed's starting weights, in this
process (the kit's own solution, not a submission), for many seeds; the grader's own SGD
(trusted/mlp.py) is what the task was checked against when it was chosen.
"""
import gc
import math
import random

import pytest

from hostile import HAND_FIT
from micrograde import training_task
from micrograde.spec import DEFAULT_SEED
from micrograde.trusted import mlp

SEEDS = [DEFAULT_SEED, 0, 1, 2, 3, 7, 42, 99, 1234, 31337, 2**31 - 1, 10**12]


@pytest.fixture
def no_gc():
    """Node graphs are reference cycles: without this the collector dominates the run."""
    gc.disable()
    yield
    gc.enable()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_learns_every_seeds_task_from_the_graders_start(seed, load_micrograd, no_gc):
    task = training_task.regression_task(seed)
    assert task.start_mse > training_task.MIN_START_MSE  # the loss has to fall
    micrograd = load_micrograd("reference")
    model = micrograd.nn.MLP(training_task.NIN, training_task.NOUTS)
    for p, v in zip(model.parameters(), task.start, strict=True):
        p.data = v
    micrograd.train.train(model, task.xs, task.ys, epochs=training_task.EPOCHS, lr=training_task.LR)
    assert mlp.mse([p.data for p in model.parameters()], training_task.NIN, training_task.NOUTS, task.xs, task.ys) < training_task.TARGET_MSE


def test_the_task_is_the_same_for_a_seed_and_differs_between_seeds():
    assert training_task.regression_task(5) == training_task.regression_task(5)
    a, b = training_task.regression_task(5), training_task.regression_task(6)
    assert a.xs != b.xs and a.ys != b.ys and a.start != b.start
    assert len(a.start) == mlp.parameter_count(training_task.NIN, training_task.NOUTS) and len(a.xs) == training_task.POINTS


def test_the_functions_differ_between_seeds_not_only_the_points():
    """Evaluated at the same points, two seeds' functions disagree: a hand fit of one is no fit of another."""
    grid = [[x / 2, y / 2] for x in range(-2, 3) for y in range(-2, 3)]
    values = []
    for seed in range(6):
        f = training_task._function(random.Random(f"micrograde m4 task {seed}"))
        values.append([f(x) for x in grid])
    for i in range(len(values)):
        for j in range(i):
            assert max(abs(p - q) for p, q in zip(values[i], values[j])) > 0.1


def test_hand_set_weights_fit_the_old_fixed_function_but_no_seeds_task():
    """The attack of tests/hostile.py was real: its weights fit the old task's function; on
    the seed-chosen tasks they are far from a fit (and the grader overwrites them anyway)."""
    rng = random.Random(0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(training_task.POINTS)]
    old = [0.5 * math.tanh(2 * x[0]) - 0.3 * x[1] for x in xs]
    assert mlp.mse(HAND_FIT, training_task.NIN, training_task.NOUTS, xs, old) < 0.001
    for seed in SEEDS:
        task = training_task.regression_task(seed)
        assert mlp.mse(HAND_FIT, training_task.NIN, training_task.NOUTS, task.xs, task.ys) > training_task.TARGET_MSE, seed
