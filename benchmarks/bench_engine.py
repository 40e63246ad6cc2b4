"""Time the reference engine against a naive recursive micrograd-style engine.

Both train MLP(2, [16, 16, 1]) (tanh hidden layers, linear output) on the same 50
points for 10 full-batch SGD steps, with the same arithmetic and the same initial
weights; the loss curves are checked to agree. Python's cyclic garbage collector stays
on, as in any real run (each node and its _backward closure form a reference cycle).
Run:  python benchmarks/bench_engine.py [--repeats N]
"""

import argparse
import gc
import math
import random
import sys
import time
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
sys.path.insert(0, str(REFERENCE_DIR))

from micrograd.nn import MLP  # noqa: E402  (the reference)
from micrograd.train import train  # noqa: E402

NIN, NOUTS, POINTS, STEPS, LR = 2, [16, 16, 1], 50, 10, 0.05


# ---------------------------------------------------------------- the naive engine
# What a first from-scratch micrograd typically looks like: every constant wrapped in a
# Value, a set of children, a fresh lambda per node, subtraction and division built
# from other operations, and a recursive topological sort.


class NaiveValue:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, NaiveValue) else NaiveValue(other)
        out = NaiveValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, NaiveValue) else NaiveValue(other)
        out = NaiveValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        out = NaiveValue(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = NaiveValue(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


def naive_forward(weights, x):
    """The same MLP as the reference, as nested lists of (w, b) per neuron."""
    for i, layer in enumerate(weights):
        last = i == len(weights) - 1
        outs = []
        for w, b in layer:
            act = sum((wi * xi for wi, xi in zip(w, x)), b)
            outs.append(act if last else act.tanh())
        x = outs
    return x[0]


def naive_train(model_ref, xs, ys):
    # Copy the reference model's initial weights so both runs do identical arithmetic.
    weights = [
        [([NaiveValue(w.data) for w in n.w], NaiveValue(n.b.data)) for n in layer.neurons]
        for layer in model_ref.layers
    ]
    params = [p for layer in weights for w, b in layer for p in w + [b]]
    losses = []
    for _ in range(STEPS):
        preds = [naive_forward(weights, x) for x in xs]
        loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(preds)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        losses.append(loss.data)
    return losses


def reference_train(model, xs, ys):
    return train(model, xs, ys, epochs=STEPS, lr=LR)


def make_data(seed=0):
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(POINTS)]
    ys = [1.0 if x0 * x1 > 0 else -1.0 for x0, x1 in xs]
    return xs, ys


def best_times(runs, repeats):
    """Best CPU time of each run (process time: other processes on the machine do not
    count). The runs take turns, so drifts such as CPU frequency hit both alike."""
    best = {name: math.inf for name in runs}
    results = {}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()  # start each run without the previous run's garbage
            start = time.process_time()
            results[name] = run()
            best[name] = min(best[name], time.process_time() - start)
    return best, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    xs, ys = make_data()

    def fresh_model():
        random.seed(1)
        return MLP(NIN, NOUTS)

    best, losses = best_times(
        {
            "reference": lambda: reference_train(fresh_model(), xs, ys),
            "naive": lambda: naive_train(fresh_model(), xs, ys),
        },
        args.repeats,
    )
    t_ref, t_naive = best["reference"], best["naive"]

    # Same arithmetic up to rounding order, so the loss curves must agree.
    drift = max(abs(a - b) for a, b in zip(losses["reference"], losses["naive"]))
    assert drift < 1e-9, f"engines disagree: max loss difference {drift}"

    print(f"MLP({NIN}, {NOUTS}), {POINTS} points, {STEPS} SGD steps, best of {args.repeats}")
    print(f"reference engine: {t_ref * 1000:8.1f} ms CPU")
    print(f"naive engine:     {t_naive * 1000:8.1f} ms CPU")
    print(f"speed-up:         {t_naive / t_ref:8.2f}x  (target >= 1.5x)")
    return t_naive / t_ref


if __name__ == "__main__":
    main()
