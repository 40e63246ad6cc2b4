"""M1: each operator computes its value and, through its own _backward, its local gradients.

Gradients here come from calling each node's `_backward` in reverse topological order,
so these checks need no `backward()`: that is milestone 2.
"""
from micrograde.expect import expect_program
from micrograde.exprgen import Op, Program, single_op


def test_add_computes_the_sum_and_passes_the_gradient_to_both_operands(sandbox):
    expect_program(sandbox, single_op("add", 0, 1), what="x0 + x1 (Value.__add__)")
    expect_program(sandbox, single_op("add", 0, ("c", 2.5)), what="x0 + 2.5 (Value.__add__)")


def test_mul_gradients_are_the_other_operand(sandbox):
    expect_program(sandbox, single_op("mul", 0, 1), what="x0 * x1 (Value.__mul__)")
    expect_program(sandbox, single_op("mul", 0, ("c", -1.5)), what="x0 * -1.5 (Value.__mul__)")


def test_sub_gradients_are_one_and_minus_one(sandbox):
    expect_program(sandbox, single_op("sub", 0, 1), what="x0 - x1 (Value.__sub__)")
    expect_program(sandbox, single_op("sub", 0, ("c", 4)), what="x0 - 4 (Value.__sub__)")


def test_neg_flips_value_and_gradient(sandbox):
    expect_program(sandbox, single_op("neg", 0), what="-x0 (Value.__neg__)")


def test_div_gradients_are_one_over_b_and_minus_a_over_b_squared(sandbox):
    expect_program(sandbox, single_op("div", 0, 1), what="x0 / x1 (Value.__truediv__)")
    expect_program(sandbox, single_op("div", 0, ("c", 4)), what="x0 / 4 (Value.__truediv__)")


def test_pow_with_an_int_exponent(sandbox):
    for k in (2, 3, -1):
        expect_program(sandbox, single_op("pow", 0, ("c", k)), what=f"x0 ** {k} (Value.__pow__)")


def test_pow_with_a_float_exponent(sandbox):
    for k in (0.5, 1.5):
        expect_program(sandbox, single_op("pow", 0, ("c", k)), what=f"x0 ** {k} (Value.__pow__)")


def test_radd_number_on_the_left(sandbox):
    expect_program(sandbox, single_op("add", ("c", 2), 0), what="2 + x0 (Value.__radd__)")


def test_rsub_number_on_the_left(sandbox):
    expect_program(sandbox, single_op("sub", ("c", 2), 0), what="2 - x0 (Value.__rsub__)")


def test_rmul_number_on_the_left(sandbox):
    expect_program(sandbox, single_op("mul", ("c", 3), 0), what="3 * x0 (Value.__rmul__)")


def test_rtruediv_number_on_the_left(sandbox):
    expect_program(sandbox, single_op("div", ("c", 3), 1), what="3 / x1 (Value.__rtruediv__)")


def test_gradient_accumulates_when_a_value_is_used_twice(sandbox):
    expect_program(sandbox, single_op("add", 0, 0), what="x0 + x0 (Value.__add__, with x0 on both sides)")
    expect_program(sandbox, single_op("mul", 0, 0), what="x0 * x0 (Value.__mul__, with x0 on both sides)")
    # x0 gets gradient from the + and from the **: a __pow__ that assigns loses the +'s share.
    squared_plus_x = Program(inputs=(1.5,), ops=(Op("pow", (("n", 0), ("c", 2))), Op("add", (("n", 1), ("n", 0)))))
    expect_program(sandbox, squared_plus_x, what="x0 ** 2 + x0 (Value.__pow__ should add into x0.grad with +=)")
