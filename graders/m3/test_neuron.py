"""M3: a Neuron starts from random weights in [-1, 1] and computes activation(w·x + b)."""
import math

from micrograde.expect import expect_all_close
from micrograde.probes import names as probes

W, B = [0.8, -0.5, 1.2], 0.3
XS = [[1.0, 0.5, 0.7], [-1.5, 1.0, -0.8], [0.2, -0.3, 0.1]]


def _weighted_sums():
    return [sum(w * x for w, x in zip(W, xs)) + B for xs in XS]


def _forward(sandbox, activation, check_seed):
    what = f"Neuron(3{'' if activation is None else f', activation={activation!r}'})(x)"
    return sandbox.call(probes.NN_NEURON_FORWARD, what, nin=3, activation=activation, w=W, b=B, xs=XS, seed=check_seed)


def _init(sandbox, check_seed, nin=50):
    return sandbox.call(probes.NN_NEURON_INIT, f"Neuron({nin}) after random.seed({check_seed})", nin=nin, seed=check_seed,
                        with_parameters=False)


def test_neuron_weights_are_uniform_in_minus_one_to_one(sandbox, check_seed):
    w = _init(sandbox, check_seed)["w"]
    assert len(w) == 50, f"Neuron(50).w should hold 50 weights, it holds {len(w)}"
    assert all(isinstance(v, float) and -1 <= v <= 1 for v in w), "every weight should be drawn from [-1, 1]"
    assert min(w) < -0.5 and max(w) > 0.5, (
        f"50 weights drawn uniformly from [-1, 1] spread over the whole range; these lie in [{min(w):.3f}, {max(w):.3f}]")


def test_neuron_weights_are_not_all_equal(sandbox, check_seed):
    w = _init(sandbox, check_seed, nin=5)["w"]
    assert len(set(w)) > 1, f"all weights are {w[0]}: equal weights keep every neuron computing the same thing"


def test_neuron_bias_is_in_minus_one_to_one(sandbox, check_seed):
    for offset in range(5):
        b = _init(sandbox, check_seed + offset, nin=2)["b"]
        assert isinstance(b, float) and -1 <= b <= 1, f"Neuron.b should start in [-1, 1] (or at 0), it is {b}"


def test_neuron_parameters_are_weights_then_bias(owned):
    owned()  # Neuron(4).parameters() is self.w + [self.b] (capabilities.py)


def test_neuron_applies_tanh_by_default(sandbox, check_seed):
    expect_all_close(_forward(sandbox, None, check_seed), [math.tanh(z) for z in _weighted_sums()], "Neuron output for input")


def test_neuron_relu_activation(sandbox, check_seed):
    expect_all_close(_forward(sandbox, "relu", check_seed), [max(0.0, z) for z in _weighted_sums()], "relu Neuron output for input")


def test_neuron_linear_activation(sandbox, check_seed):
    expect_all_close(_forward(sandbox, "linear", check_seed), _weighted_sums(), "linear Neuron output for input")
