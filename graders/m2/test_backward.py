"""M2: backward() fills in every gradient of the graph, shared nodes included."""
import pytest
from hypothesis import given, strategies as st

from micrograde.expect import expect_close, expect_program, fmt, show
from micrograde.exprgen import Op, Program, programs, single_op
from micrograde.probes import names as probes
from micrograde.trusted.finite_difference import differences, nudged_points
from micrograde.trusted.tolerances import close_to_finite_difference

# backward() itself is the same whatever the operations, and each operation has its own
# checks: so the random graphs use only the operations the submission has (a relu-only
# micrograd, a tanh-only lecture engine), and a missing one costs only its own checks.
GRAPH_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh")


@pytest.fixture(scope="module")
def graph_ops(sandbox):
    have = sandbox.call(probes.ENGINE_OPERATIONS, "the operations of Value", kinds=list(GRAPH_OPS))
    return tuple(have) or ("add",)


@given(data=st.data())
def test_backward_matches_exact_gradients_on_random_graphs(sandbox, graph_ops, data):
    program = data.draw(programs(ops=graph_ops), label="program")
    expect_program(sandbox, program, probe=probes.AUTOGRAD_BACKWARD_PROGRAM, what="backward() on a random graph")


@given(data=st.data())
def test_backward_agrees_with_finite_differences_of_your_forward_pass(sandbox, graph_ops, data):
    program = data.draw(programs(ops=graph_ops), label="program")
    answer = sandbox.call(probes.AUTOGRAD_BACKWARD_PROGRAM, "backward() on a random graph", program=program.to_json())
    shifted = [Program(inputs=tuple(p), ops=program.ops).to_json() for p in nudged_points(program.inputs)]
    outs = sandbox.call(probes.AUTOGRAD_OUTPUTS, "the forward pass at nudged inputs", programs=shifted)
    f = answer["values"][-1]
    for i, x in enumerate(program.inputs):
        g, up, down = answer["grads"][i], outs[2 * i], outs[2 * i + 1]
        if not all(isinstance(v, float) for v in (g, up, down, f)):
            raise AssertionError(f"backward() or the forward pass returned something that is not a number\n{show(program)}")
        [g_fd] = differences([up, down], [x])
        if not close_to_finite_difference(g, g_fd, f):
            raise AssertionError(f"d(out)/d(x{i}) from backward() is {fmt(g)}, but finite differences of your "
                                 f"own forward pass give {fmt(g_fd)}\n{show(program)}")


SHARED = Program(inputs=(1.5, -0.5), ops=(
    Op("mul", (("n", 0), ("n", 1))),   # n2 feeds three consumers below
    Op("add", (("n", 2), ("n", 2))),
    Op("mul", (("n", 3), ("n", 2))),
    Op("add", (("n", 4), ("n", 0))),
    Op("sub", (("n", 5), ("n", 2))),
))


def test_backward_accumulates_through_shared_nodes(sandbox):
    expect_program(sandbox, SHARED, probe=probes.AUTOGRAD_BACKWARD_PROGRAM, what="backward() where one node feeds several others")


def test_backward_seeds_the_root_gradient_with_one(sandbox):
    answer = sandbox.call(probes.AUTOGRAD_BACKWARD_PROGRAM, "backward() on x0 * x1", program=single_op("mul", 0, 1).to_json())
    expect_close(answer["grads"][-1], 1.0, "out.grad after out.backward()")


def test_backward_twice_doubles_the_gradients(sandbox):
    answer = sandbox.call(probes.AUTOGRAD_DOUBLE_BACKWARD, "c = a * b; c.backward(); c.backward()", a=3.0, b=-2.0)
    expect_close(answer["a"], -4.0, "a.grad after c = a * b (a=3, b=-2) and backward() twice (no zeroing inside backward)")
    expect_close(answer["b"], 6.0, "b.grad after c = a * b (a=3, b=-2) and backward() twice (no zeroing inside backward)")


def test_backward_handles_deep_graphs(sandbox, warn):
    answer = sandbox.call(probes.AUTOGRAD_DEEP_CHAIN, "backward() on a chain of 20,000 multiplications", depth=20_000)
    if answer["recursion_error"]:
        warn("backward() raised RecursionError on a chain of 20,000 nodes: use an iterative topological sort")
        return
    expect_close(answer["grad"], 1.0, "x.grad at the bottom of a 20,000-node chain of * 1.0")
