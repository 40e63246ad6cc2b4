"""M1: a course's extra operations (course.toml: [operations] extra, from the catalogue in
trusted/operations.py), each in random graphs with those of +, - and * that passed their own
checks (a number on the left only where the reflected operator works): a broken `-` is
charged in test_operators.py, not again here. The `operation` fixture is the course's
operation the check was collected for: one check per operation, by name (test_exp_...,
test_sigmoid_...). Without extra operations these checks do not exist."""
from micrograde.examples import property_check
from micrograde.expect import expect_finite_differences, expect_program
from micrograde.exprgen import Programs
from micrograde.probes import names as probes

WITH = ("add", "sub", "mul")


def _program(data, profile, operation):
    ops = (operation,) + profile.binary_ops(WITH)
    return data.draw(Programs(ops=ops, min_ops=1, max_ops=6, left_constants=profile.left_constants()),
                     label="program")


@property_check
def test_operation_has_exact_forward_values_and_local_gradients_in_random_graphs(sandbox, profile, operation, data):
    expect_program(sandbox, _program(data, profile, operation), what=f"a random graph with {operation}")


@property_check
def test_operation_gradients_agree_with_finite_differences_of_your_forward_pass(sandbox, profile, operation, data):
    expect_finite_differences(sandbox, _program(data, profile, operation), probes.ENGINE_LOCAL_PROGRAM,
                              f"a random graph with {operation}", source="each node's _backward")
