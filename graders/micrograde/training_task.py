"""The regression task the M4 "it learns" checks train on, chosen from the grading seed.

The seed chooses the points, the function (a tanh ridge plus a plane, in directions,
scales and offsets drawn from the seed) and the starting weights. The grader sets every
parameter's .data to that start before training, so the loss can fall only through
gradient steps from where the grader put the model: weights hand-set to fit one fixed
function gain nothing, and a backward() that does not work leaves the loss where it
started, well above 0.01.

Learnable by construction: a start is kept only when the grader's own SGD (trusted/mlp.py,
the same steps train() must take) brings it from MSE above MIN_START_MSE to below
MARGIN_MSE in EPOCHS steps, half the 0.01 the checks ask for.
"""
import functools
import math
import random
from dataclasses import dataclass

from . import seeds
from .errors import KitError
from .trusted import mlp

NIN, NOUTS, EPOCHS, LR, POINTS = 2, [6, 1], 60, 0.5, 12
TARGET_MSE = 0.01     # what the checks ask for
MARGIN_MSE = 0.005    # what the grader's own SGD must reach from the chosen start
MIN_START_MSE = 0.05  # the loss has to fall: the start is far from a fit
MAX_DRAWS = 200       # never reached: about 2% of first draws are redrawn


@dataclass(frozen=True)
class Task:
    xs: list
    ys: list
    start: list  # the parameters the grader sets before training, in the contract's order
    start_mse: float
    nin: int = NIN
    nouts: tuple = tuple(NOUTS)
    epochs: int = EPOCHS
    lr: float = LR
    target_mse: float = TARGET_MSE
    what: str = f"{POINTS} points"


def _function(rng: random.Random):
    """y = a * tanh(b * (u . x) + c) + d * (v . x) + e, every constant drawn from `rng`."""
    theta, phi = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    u, v = (math.cos(theta), math.sin(theta)), (math.cos(phi), math.sin(phi))
    a = rng.choice((-1, 1)) * rng.uniform(0.3, 0.6)
    b, c = rng.uniform(1.0, 2.0), rng.uniform(-0.5, 0.5)
    d = rng.choice((-1, 1)) * rng.uniform(0.1, 0.4)
    e = rng.uniform(-0.2, 0.2)
    return lambda x: a * math.tanh(b * (u[0] * x[0] + u[1] * x[1]) + c) + d * (v[0] * x[0] + v[1] * x[1]) + e


def _learnable_start(rng, xs, ys, nin, nouts, epochs, lr, target):
    """A start the grader's own SGD takes from far off (MSE > MIN_START_MSE) to half the
    target within the budget, and its MSE; None when no draw is learnable."""
    count = mlp.parameter_count(nin, nouts)
    for _ in range(MAX_DRAWS):
        start = [rng.uniform(-1, 1) for _ in range(count)]
        start_mse = mlp.mse(start, nin, nouts, xs, ys)
        if start_mse <= MIN_START_MSE:
            continue
        trained, history = mlp.sgd_train(start, nin, nouts, xs, ys, epochs, lr)
        if mlp.mse(trained, nin, nouts, xs, ys) < target * MARGIN_MSE / TARGET_MSE:
            return start, start_mse
    return None


@functools.lru_cache(maxsize=4)
def regression_task(seed: int) -> Task:
    # Keyed by the grading seed (seeds.py): the points the worker sees do not give it away.
    rng = random.Random(seeds.derived(seed, "m4 task"))
    count = mlp.parameter_count(NIN, NOUTS)
    for _ in range(MAX_DRAWS):
        f = _function(rng)
        xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(POINTS)]
        ys = [f(x) for x in xs]
        start = [rng.uniform(-1, 1) for _ in range(count)]
        start_mse = mlp.mse(start, NIN, NOUTS, xs, ys)
        if start_mse <= MIN_START_MSE:
            continue
        trained, _ = mlp.sgd_train(start, NIN, NOUTS, xs, ys, EPOCHS, LR)
        if mlp.mse(trained, NIN, NOUTS, xs, ys) < MARGIN_MSE:
            return Task(xs, ys, start, start_mse)
    raise KitError(f"no learnable M4 task for seed {seed} in {MAX_DRAWS} draws: a bug in the kit")
