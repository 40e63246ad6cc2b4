"""Neurons, layers and multi-layer perceptrons built from Values."""

import random

from .engine import Value

ACTIVATIONS = ("tanh", "relu", "linear")


class Module:
    """Anything with trainable parameters."""

    def parameters(self):
        return []

    def zero_grad(self):
        # backward() accumulates, so without this every step would add the old
        # gradients to the new ones.
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """activation(w . x + b) for one output."""

    def __init__(self, nin, activation="tanh"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        # Random, not zero: neurons that start equal get equal gradients and stay equal.
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))
        self.activation = activation

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"neuron expects {len(self.w)} inputs, got {len(x)}")
        # Starting the sum at the bias spares the extra `0 + ...` node that sum() adds.
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "relu":
            return act.relu()
        return act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """nout independent neurons that all see the same inputs."""

    def __init__(self, nin, nout, activation="tanh"):
        self.neurons = [Neuron(nin, activation) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        # A one-neuron layer (typically the output) gives a Value, not a 1-list.
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer([{', '.join(str(n) for n in self.neurons)}])"


class MLP(Module):
    """Layers in sequence: hidden layers use `activation`, the last one is linear."""

    def __init__(self, nin, nouts, activation="tanh"):
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        # A linear output layer: a tanh there would cap predictions at +-1, so a
        # regression target of 3.0 could never be reached.
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear")
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            if isinstance(x, (Value, int, float)):
                x = [x]  # a one-neuron layer (or a scalar input) feeds the next as a list
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP([{', '.join(str(layer) for layer in self.layers)}])"
