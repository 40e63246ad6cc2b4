"""M1: random expression graphs, judged node by node against the grader's own arithmetic."""
from hypothesis import given

from micrograde.expect import expect_program
from micrograde.exprgen import programs

ARITHMETIC = ("add", "sub", "mul", "div", "pow", "neg")


@given(program=programs(ops=ARITHMETIC))
def test_random_arithmetic_graphs_have_exact_local_gradients(sandbox, program):
    expect_program(sandbox, program, what="a random arithmetic graph")
