"""M1: random expression graphs, judged node by node against the grader's own arithmetic.

Each operator is charged in its own check (test_operators.py): the graphs here use only the
operators that passed theirs, a number on the left only where the reflected operator works,
so they measure how the operators combine, not the same operator again.
"""
from micrograde.examples import property_check
from micrograde.expect import expect_program
from micrograde.exprgen import Programs

ARITHMETIC = ("add", "sub", "mul", "div", "pow", "neg")


@property_check
def test_random_arithmetic_graphs_have_exact_local_gradients(sandbox, profile, data):
    ops = profile.operations(ARITHMETIC)
    program = data.draw(Programs(ops=ops, left_constants=profile.left_constants()), label="program")
    expect_program(sandbox, program, what="a random arithmetic graph")
