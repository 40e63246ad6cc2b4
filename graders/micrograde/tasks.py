"""The regression task the M4 checks train on: chosen by the grader, from the grading seed."""
import math
import random

NIN, NOUTS, EPOCHS, LR, POINTS = 2, [6, 1], 150, 0.25, 24


def regression_task(seed: int):
    """24 points of a smooth 2-D function; an MLP(2, [6, 1]) fits it to MSE < 0.01 in 150 steps."""
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(POINTS)]
    ys = [0.5 * math.tanh(2 * x[0]) - 0.3 * x[1] for x in xs]
    return xs, ys
