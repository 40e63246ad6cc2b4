import random

from .engine import Value


class Module:
    def zero_grad(self):
        for param in self.parameters():
            param.grad = 0.0

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, activation='tanh'):
        assert activation in ('tanh', 'relu', 'linear'), activation
        self.activation = activation
        self.w = []
        for _ in range(nin):
            self.w.append(Value(random.uniform(-1.0, 1.0)))
        self.b = Value(random.uniform(-1.0, 1.0))

    def __call__(self, x):
        assert len(x) == len(self.w)
        z = self.b
        for weight, inp in zip(self.w, x):
            z = z + weight * inp
        if self.activation == 'linear':
            return z
        return z.relu() if self.activation == 'relu' else z.tanh()

    def parameters(self):
        return [*self.w, self.b]


class Layer(Module):
    def __init__(self, nin, nout, activation='tanh'):
        self.neurons = [Neuron(nin, activation=activation) for _ in range(nout)]

    def __call__(self, x):
        ys = [neuron(x) for neuron in self.neurons]
        if len(ys) == 1:
            return ys[0]
        return ys

    def parameters(self):
        params = []
        for neuron in self.neurons:
            params.extend(neuron.parameters())
        return params


class MLP(Module):
    def __init__(self, nin, nouts, activation='tanh'):
        widths = [nin, *nouts]
        self.layers = []
        for k, (a, b) in enumerate(zip(widths, widths[1:])):
            last = k == len(nouts) - 1
            self.layers.append(Layer(a, b, activation='linear' if last else activation))

    def __call__(self, x):
        h = x
        for layer in self.layers:
            h = layer(h if isinstance(h, list) else [h])
        return h

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
