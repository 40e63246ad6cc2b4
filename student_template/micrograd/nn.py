"""M3: neurons, layers and multi-layer perceptrons built from Values.

Pitfalls the graders look for:
- Weights must start random (random.uniform(-1, 1) from Python's `random` module).
  If they all start equal (say all 0), every neuron of a layer computes the same thing,
  receives the same gradient, and they stay identical forever.
- parameters() must include the biases, or they are never trained.
- The last layer of an MLP is linear (no activation): for regression a tanh output
  could never exceed 1.
- MLP(3, [4, 4, 1]) has (3*4+4) + (4*4+4) + (4*1+1) = 41 parameters.
"""

import random  # noqa: F401  (you will need it for the initial weights)

from .engine import Value  # noqa: F401  (you will need it for the weights and biases)


class Module:
    """Base class of everything with trainable parameters."""

    def parameters(self):
        """Return the list of trainable Values (the base class has none: [])."""
        raise NotImplementedError("M3: implement Module.parameters")

    def zero_grad(self):
        """Set .grad = 0.0 on every parameter.

        backward() ADDS to .grad, so without this every training step also applies
        all the gradients of the earlier steps.
        """
        raise NotImplementedError("M3: implement Module.zero_grad")


class Neuron(Module):
    """activation(w . x + b).

    __init__: self.w = nin Values, each random.uniform(-1, 1); self.b = one Value,
    random.uniform(-1, 1) (draw the weights first, then the bias).
    activation is 'tanh', 'relu' or 'linear' (no activation).
    """

    def __init__(self, nin, activation='tanh'):
        raise NotImplementedError("M3: implement Neuron.__init__ (random weights w and bias b in [-1, 1])")

    def __call__(self, x):
        """x is a list of nin numbers or Values; return one Value: activation(sum(w_i * x_i) + b)."""
        raise NotImplementedError("M3: implement Neuron.__call__ (activation(w . x + b))")

    def parameters(self):
        """Return self.w + [self.b]: weights first, then the bias."""
        raise NotImplementedError("M3: implement Neuron.parameters (w + [b])")


class Layer(Module):
    """nout neurons, each seeing all nin inputs. self.neurons is the list of them."""

    def __init__(self, nin, nout, activation='tanh'):
        raise NotImplementedError("M3: implement Layer.__init__ (nout neurons of nin inputs)")

    def __call__(self, x):
        """Return the list of the neurons' outputs, or a single Value when nout == 1."""
        raise NotImplementedError("M3: implement Layer.__call__")

    def parameters(self):
        """All the neurons' parameters, neuron by neuron."""
        raise NotImplementedError("M3: implement Layer.parameters")


class MLP(Module):
    """A stack of Layers: sizes nin -> nouts[0] -> ... -> nouts[-1]. self.layers is the list.

    Hidden layers use `activation`; the LAST layer is always 'linear'.
    """

    def __init__(self, nin, nouts, activation='tanh'):
        raise NotImplementedError("M3: implement MLP.__init__ (hidden layers use activation, last layer linear)")

    def __call__(self, x):
        """Feed x through the layers in order and return the last layer's output."""
        raise NotImplementedError("M3: implement MLP.__call__")

    def parameters(self):
        """All the layers' parameters, layer by layer."""
        raise NotImplementedError("M3: implement MLP.parameters")
