"""Central finite differences: the one helper behind every finite-difference check.

The points are separate from the quotient because the function is often the
submission's forward pass, evaluated in the worker in one batch: the grader makes the
points, the worker returns f at each, the grader takes the differences.
"""

STEP = 1e-6  # the grader's step; relative to max(1, |x|) unless `relative=False`


def _steps(xs, h, relative):
    return [h * max(1.0, abs(x)) if relative else h for x in xs]


def nudged_points(xs, h: float = STEP, relative: bool = True) -> list[list[float]]:
    """For each coordinate i in turn: ``xs`` with x_i + h_i, then ``xs`` with x_i - h_i."""
    points = []
    for i, (x, step) in enumerate(zip(xs, _steps(xs, h, relative))):
        for sign in (1, -1):
            point = list(xs)
            point[i] = x + sign * step
            points.append(point)
    return points


def differences(values, xs, h: float = STEP, relative: bool = True) -> list[float]:
    """(f(x + h_i) - f(x - h_i)) / 2h_i for each coordinate, from f at ``nudged_points``.

    Divided by the nominal 2h, as students' numerical_grad does: rounding x +- h moves the
    estimate by about eps*|x|/h (1e-10 relative here), far inside every tolerance.
    """
    return [(values[2 * i] - values[2 * i + 1]) / (2 * step) for i, step in enumerate(_steps(xs, h, relative))]


def central_differences(f, xs, h: float = STEP, relative: bool = True) -> list[float]:
    """The central difference of ``f`` (list of floats -> float) in every coordinate."""
    return differences([f(p) for p in nudged_points(xs, h, relative)], xs, h, relative)
