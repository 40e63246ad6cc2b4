"""M1: each operator computes its value and, through its own _backward, its local gradients.

Gradients here come from calling each node's `_backward` in reverse topological order,
so these checks need no `backward()`: that is milestone 2. Each check owns its operator in
the capability profile: the programs it runs are in micrograde/capabilities.py (OWNED),
run once at the start of the run, and every other check builds on its verdict.
"""


def test_add_computes_the_sum_and_passes_the_gradient_to_both_operands(owned):
    owned()  # x0 + x1, x0 + 2.5


def test_mul_gradients_are_the_other_operand(owned):
    owned()  # x0 * x1, x0 * -1.5


def test_sub_gradients_are_one_and_minus_one(owned):
    owned()  # x0 - x1, x0 - 4


def test_neg_flips_value_and_gradient(owned):
    owned()  # -x0


def test_div_gradients_are_one_over_b_and_minus_a_over_b_squared(owned):
    owned()  # x0 / x1, x0 / 4


def test_pow_with_an_int_exponent(owned):
    owned()  # x0 ** 2, x0 ** 3, x0 ** -1


def test_pow_with_a_float_exponent(owned):
    owned()  # x0 ** 0.5, x0 ** 1.5


def test_radd_number_on_the_left(owned):
    owned()  # 2 + x0


def test_rsub_number_on_the_left(owned):
    owned()  # 2 - x1


def test_rmul_number_on_the_left(owned):
    owned()  # 3 * x0


def test_rtruediv_number_on_the_left(owned):
    owned()  # 4 / x1


def test_gradient_accumulates_when_a_value_is_used_twice(owned):
    owned()  # x0 + x0, x0 * x0, x0 ** 2 + x0
