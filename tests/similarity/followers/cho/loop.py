"""Cho -- optimisation utilities written with list comprehensions."""
import random

import nn


def loss_of(model, data):
    xs, ys = zip(*data)
    outs = list(map(model, xs))
    return sum([(o - y) * (o - y) for o, y in zip(outs, ys)]) / len(ys)


class Optimizer:
    """Plain gradient descent with optional L2 decay."""

    def __init__(self, parameters, lr=0.01, weight_decay=0.0):
        self.parameters, self.lr, self.decay = list(parameters), lr, weight_decay

    def step(self):
        for v in self.parameters:
            v.data += -self.lr * v.grad - self.lr * self.decay * v.data

    def zero_grad(self):
        [setattr(v, "grad", 0.0) for v in self.parameters]


def run(epochs=50, seed=0):
    random.seed(seed)
    data = [([random.uniform(-1, 1), random.uniform(-1, 1)], 0.0) for _ in range(16)]
    data = [(x, 1.0 if x[0] * x[1] > 0 else -1.0) for x, _ in data]
    model = nn.MLP(2, [8, 1])
    opt = Optimizer(model.parameters(), lr=0.1)
    trace = []
    for _ in range(epochs):
        loss = loss_of(model, data)
        opt.zero_grad()
        loss.backward()
        opt.step()
        trace += [loss.data]
    return trace


if __name__ == "__main__":
    print(run()[-1])
