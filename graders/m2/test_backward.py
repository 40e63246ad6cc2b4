"""M2: backward() fills in every gradient of the graph, shared nodes included."""
from micrograde.examples import property_check
from micrograde.expect import expect_close, expect_finite_differences, expect_program
from micrograde.exprgen import Op, Program, Programs, single_op
from micrograde.probes import names as probes
from micrograde.trusted.programs import gradients

# backward() itself is the same whatever the operations, and each operation has its own
# checks (capabilities.py): so the random graphs use only the operations that passed theirs
# (a relu-only micrograd, a tanh-only lecture engine, an engine with a wrong __sub__), a
# number on the left only where the reflected operator works, and a missing or wrong
# operation costs only its own checks.
GRAPH_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh")


def _graph(profile, data):
    ops = profile.operations(GRAPH_OPS)
    return data.draw(Programs(ops=ops, left_constants=profile.left_constants()), label="program")


@property_check
def test_backward_matches_exact_gradients_on_random_graphs(sandbox, profile, data):
    expect_program(sandbox, _graph(profile, data), probe=probes.AUTOGRAD_BACKWARD_PROGRAM, what="backward() on a random graph")


@property_check
def test_backward_agrees_with_finite_differences_of_your_forward_pass(sandbox, profile, data):
    expect_finite_differences(sandbox, _graph(profile, data), probes.AUTOGRAD_BACKWARD_PROGRAM,
                              "backward() on a random graph", source="backward()")


SHARED = Program(inputs=(1.5, -0.5), ops=(
    Op("mul", (("n", 0), ("n", 1))),   # n2 feeds three consumers below
    Op("add", (("n", 2), ("n", 2))),
    Op("mul", (("n", 3), ("n", 2))),
    Op("add", (("n", 4), ("n", 0))),
    Op("sub", (("n", 5), ("n", 2))),
))


def test_backward_accumulates_through_shared_nodes(sandbox, profile):
    expect_program(sandbox, profile.substitute(SHARED), probe=probes.AUTOGRAD_BACKWARD_PROGRAM,
                   what="backward() where one node feeds several others")


def test_backward_seeds_the_root_gradient_with_one(owned):
    owned()  # backward() on x0 * x1 (or another operator that works): out.grad is 1


SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def test_backward_twice_doubles_the_gradients(sandbox, profile):
    kind = profile.binary_op()
    once = gradients(single_op(kind, 0, 1, inputs=(3.0, -2.0)))
    what = f"c = a {SYMBOL[kind]} b; c.backward(); c.backward()"
    answer = sandbox.call(probes.AUTOGRAD_DOUBLE_BACKWARD, what, a=3.0, b=-2.0, kind=kind)
    for name, grad in (("a", once[0]), ("b", once[1])):
        expect_close(answer[name], 2 * grad, f"{name}.grad after c = a {SYMBOL[kind]} b (a=3, b=-2) and backward() twice "
                     "(no zeroing inside backward)")


def test_backward_handles_deep_graphs(sandbox, profile, warn):
    kind = profile.binary_op()
    what = f"backward() on a chain of 20,000 operations y = y {SYMBOL[kind]} {DEEP_CONSTANT[kind]}"
    answer = sandbox.call(probes.AUTOGRAD_DEEP_CHAIN, what, depth=20_000, kind=kind, constant=DEEP_CONSTANT[kind])
    if answer["recursion_error"]:
        warn("backward() raised RecursionError on a chain of 20,000 nodes: use an iterative topological sort")
        return
    expect_close(answer["grad"], 1.0, f"x.grad at the bottom of a 20,000-node chain of {SYMBOL[kind]} {DEEP_CONSTANT[kind]}")


# The constant that leaves y and its gradient as they are, for each operator.
DEEP_CONSTANT = {"mul": 1.0, "add": 0.0, "sub": 0.0, "div": 1.0}
