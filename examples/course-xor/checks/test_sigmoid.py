"""An instructor check of this course: sigmoid(x) is 1 / (1 + exp(-x)), far out on both
sides too (where a naive formula overflows)."""
import math

from micrograde.checks import run
from micrograde.expect import expect_all_close

POINTS = [-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0, 800.0]


def test_sigmoid_is_one_over_one_plus_exp_of_minus_x(sandbox):
    def sigmoids(mg, xs):
        # Runs in the worker, on the student's Value: plain data back.
        return [mg.Value(x).sigmoid().data for x in xs]

    got = run(sandbox, sigmoids, "Value(x).sigmoid() at x = -30 ... 800", xs=POINTS)
    want = [1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0 for x in POINTS]
    expect_all_close(got, want, "Value(x).sigmoid().data at x =", names=[f"{x:g}" for x in POINTS])
