"""The M4 task is chosen from the grading seed and stays learnable for every seed.

The reference trains on the seed's task from the seed's starting weights, in this
process (the kit's own solution, not a submission), for many seeds; the grader's own SGD
(trusted/mlp.py) is what the task was checked against when it was chosen.
"""
import gc
import math
import random

import pytest

import corpus
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


def test_exact_sgd_gradients_match_finite_differences_for_every_network_the_checks_accept():
    task = training_task.regression_task(DEFAULT_SEED)
    h = 1e-6
    for net in (("tanh", "linear"), ("relu", "linear"), ("linear", "linear"), ("tanh", "tanh"), ("relu", "relu")):
        grads = mlp.mse_gradient(task.start, task.nin, task.nouts, task.xs, task.ys, *net)
        for i in (0, 5, len(task.start) - 1):
            up, down = list(task.start), list(task.start)
            up[i] += h
            down[i] -= h
            fd = (mlp.mse(up, task.nin, task.nouts, task.xs, task.ys, *net)
                  - mlp.mse(down, task.nin, task.nouts, task.xs, task.ys, *net)) / (2 * h)
            assert math.isclose(grads[i], fd, rel_tol=1e-5, abs_tol=1e-8), (net, i)


# A seed whose task exact SGD does not learn with relu hidden layers (MSE 0.035 after its
# epochs): the contract's tanh network learns every seed's task by construction, not others.
RELU_HARD_SEED = 22


def test_a_relu_network_is_not_charged_in_m4_for_its_activation(tmp_path):
    task = training_task.regression_task(RELU_HARD_SEED)
    relu_params, _ = mlp.sgd_train(task.start, task.nin, task.nouts, task.xs, task.ys, task.epochs, task.lr, "relu")
    assert mlp.mse(relu_params, task.nin, task.nouts, task.xs, task.ys, "relu") > training_task.TARGET_MSE
    relu = corpus.patched_reference(tmp_path / "relu", [
        ("nn", "    def __init__(self, nin, nouts, activation=\"tanh\"):", "    def __init__(self, nin, nouts, activation=\"relu\"):")])
    report = corpus.by_name(corpus.grade(relu, tmp_path / "relu.json", milestones=["m4"], seed=RELU_HARD_SEED))
    for check in ("test_your_training_reaches_mse_below_0_01", "test_your_mlp_trained_by_the_graders_loop_converges",
                  "test_train_history_is_the_loss_before_each_step"):
        assert report[check]["status"] == "passed", report[check]["feedback"]
    # Training that goes wrong on that network is still charged: half the learning rate's steps.
    slow = corpus.patched_reference(tmp_path / "slow", [
        ("nn", "    def __init__(self, nin, nouts, activation=\"tanh\"):", "    def __init__(self, nin, nouts, activation=\"relu\"):"),
        ("optim", "p.data -= self.lr * (", "p.data -= 0.5 * self.lr * (")])
    report = corpus.by_name(corpus.grade(slow, tmp_path / "slow.json", milestones=["m4"], seed=RELU_HARD_SEED))
    assert report["test_your_training_reaches_mse_below_0_01"]["status"] == "failed"
