"""M1: a course's extra operations (course.toml: [operations] extra, from the catalogue in
trusted/operations.py), each in random graphs with +, - and *. The `operation` fixture is
the course's operation the check was collected for: one check per operation, by name
(test_exp_..., test_sigmoid_...). Without extra operations these checks do not exist."""
from hypothesis import given, strategies as st

from micrograde.expect import expect_program, fmt, show
from micrograde.exprgen import Program, programs
from micrograde.probes import names as probes
from micrograde.trusted.finite_difference import differences, nudged_points
from micrograde.trusted.tolerances import close_to_finite_difference

WITH = ("add", "sub", "mul")


def _program(data, operation):
    return data.draw(programs(ops=(operation,) + WITH, min_ops=1, max_ops=6), label="program")


@given(data=st.data())
def test_operation_has_exact_forward_values_and_local_gradients_in_random_graphs(sandbox, operation, data):
    expect_program(sandbox, _program(data, operation), what=f"a random graph with {operation}")


@given(data=st.data())
def test_operation_gradients_agree_with_finite_differences_of_your_forward_pass(sandbox, operation, data):
    program = _program(data, operation)
    answer = sandbox.call(probes.ENGINE_LOCAL_PROGRAM, f"a random graph with {operation}", program=program.to_json())
    shifted = [Program(inputs=tuple(p), ops=program.ops).to_json() for p in nudged_points(program.inputs)]
    outs = sandbox.call(probes.AUTOGRAD_OUTPUTS, "the forward pass at nudged inputs", programs=shifted)
    f = answer["values"][-1]
    for i, x in enumerate(program.inputs):
        g, up, down = answer["grads"][i], outs[2 * i], outs[2 * i + 1]
        if not all(isinstance(v, float) for v in (g, up, down, f)):
            raise AssertionError(f"the graph's gradients or forward pass are not numbers\n{show(program)}")
        [g_fd] = differences([up, down], [x])
        if not close_to_finite_difference(g, g_fd, f):
            raise AssertionError(f"d(out)/d(x{i}) from each node's _backward is {fmt(g)}, but finite differences of "
                                 f"your own forward pass give {fmt(g_fd)}\n{show(program)}")
