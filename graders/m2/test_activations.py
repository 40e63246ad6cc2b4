"""M2: tanh and relu, values and local gradients (through each node's own _backward).

Each check owns its activation in the capability profile: the inputs and expected values
are in micrograde/capabilities.py (OWNED), computed there with the grader's own math.
"""


def test_tanh_value_and_gradient_one_minus_t_squared(owned):
    owned()  # x = 0.5, -1.2, 2.0: tanh(x) and 1 - tanh(x)**2


def test_tanh_does_not_overflow_for_large_inputs(owned):
    owned()  # x = 1000, -1000


def test_tanh_gradient_is_scaled_by_the_upstream_gradient(owned):
    owned()  # out.grad = 3 set directly, then out._backward()


def test_relu_value_and_gradient(owned):
    owned()  # x = 1.5, -0.7


def test_relu_passes_zero_gradient_at_zero(owned):
    owned()  # x = 0.0: the contract says gradient 0


def test_relu_gradient_is_scaled_by_the_upstream_gradient(owned):
    owned()  # x = 1.5, out.grad = 3
