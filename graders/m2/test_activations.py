"""M2: tanh and relu, values and local gradients (through each node's own _backward)."""
import math

from micrograde.expect import expect_close
from micrograde.probes import names as probes


def _activation(sandbox, kind, x):
    return sandbox.call(probes.AUTOGRAD_ACTIVATION, f"Value({x}).{kind}()", kind=kind, x=x)


def test_tanh_value_and_gradient_one_minus_t_squared(sandbox):
    for x in (0.5, -1.2, 2.0):
        answer = _activation(sandbox, "tanh", x)
        t = math.tanh(x)
        expect_close(answer["data"], t, f"Value({x}).tanh().data")
        expect_close(answer["grad"], 1 - t * t, f"gradient of tanh at {x}")


def test_tanh_does_not_overflow_for_large_inputs(sandbox):
    for x in (1000.0, -1000.0):
        answer = _activation(sandbox, "tanh", x)
        expect_close(answer["data"], math.copysign(1.0, x), f"Value({x}).tanh().data (compute it without overflow)")
        expect_close(answer["grad"], 0.0, f"gradient of tanh at {x}")


def _upstream(sandbox, kind, x, grad=3.0):
    """The gradient kind(x) passes down when its output's gradient is 3 (set directly, not through `*`)."""
    return sandbox.call(probes.AUTOGRAD_UPSTREAM, f"Value({x}).{kind}() with out.grad = {grad}", kind=kind, x=x, grad=grad)


def test_tanh_gradient_is_scaled_by_the_upstream_gradient(sandbox):
    for x in (0.5, -1.2):
        t = math.tanh(x)
        expect_close(_upstream(sandbox, "tanh", x), 3.0 * (1 - t * t),
                     f"x.grad after out = x.tanh() at x = {x}, out.grad = 3 and out._backward() "
                     "(Value.tanh's _backward should multiply 1 - t**2 by out.grad)")


def test_relu_value_and_gradient(sandbox):
    for x, value, grad in ((1.5, 1.5, 1.0), (-0.7, 0.0, 0.0)):
        answer = _activation(sandbox, "relu", x)
        expect_close(answer["data"], value, f"Value({x}).relu().data")
        expect_close(answer["grad"], grad, f"gradient of relu at {x}")


def test_relu_passes_zero_gradient_at_zero(sandbox):
    answer = _activation(sandbox, "relu", 0.0)
    expect_close(answer["data"], 0.0, "Value(0.0).relu().data")
    expect_close(answer["grad"], 0.0, "gradient of relu at exactly 0 (the contract says 0)")


def test_relu_gradient_is_scaled_by_the_upstream_gradient(sandbox):
    expect_close(_upstream(sandbox, "relu", 1.5), 3.0, "x.grad after out = x.relu() at x = 1.5, out.grad = 3 and "
                 "out._backward() (Value.relu's _backward should multiply by out.grad)")
