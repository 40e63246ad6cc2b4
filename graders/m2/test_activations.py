"""M2: tanh and relu, values and local gradients (through each node's own _backward)."""
import math

from micrograde.expect import expect_close, expect_program
from micrograde.exprgen import Op, Program
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


def _scaled(kind, x):
    """activation(x0) * 3: the activation's _backward gets an upstream gradient of 3, not 1."""
    return Program(inputs=(x,), ops=(Op(kind, (("n", 0),)), Op("mul", (("n", 1), ("c", 3.0)))))


def test_tanh_gradient_is_scaled_by_the_upstream_gradient(sandbox):
    for x in (0.5, -1.2):
        expect_program(sandbox, _scaled("tanh", x), what=f"tanh(x0) * 3 at x0 = {x} (Value.tanh's _backward "
                       "should multiply 1 - t**2 by out.grad)")


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
    expect_program(sandbox, _scaled("relu", 1.5), what="relu(x0) * 3 at x0 = 1.5 (Value.relu's _backward "
                   "should multiply by out.grad)")
