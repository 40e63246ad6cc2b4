from dataclasses import dataclass, field

from engine import Value
from nn import MLP


@dataclass
class History:
    losses: list = field(default_factory=list)

    def record(self, value):
        self.losses.append(value)

    @property
    def best(self):
        return min(self.losses) if self.losses else None


def mean_squared(model, points, labels):
    total = None
    for point, label in zip(points, labels):
        term = (model(point) - label) ** 2
        total = term if total is None else total + term
    return total / len(points)


def descend(model, points, labels, steps=200, rate=0.02, decay=0.0):
    history = History()
    weights = model.parameters()
    for _ in range(steps):
        loss = mean_squared(model, points, labels)
        history.record(loss.data)
        for w in weights:
            w.grad = 0.0
        loss.backward()
        for w in weights:
            w.data -= rate * w.grad + rate * decay * w.data
    return history


def gradient_ok(f, xs, h=1e-5, tolerance=1e-4):
    vals = [Value(x) for x in xs]
    f(vals).backward()
    for i, v in enumerate(vals):
        plus = list(xs); plus[i] += h
        minus = list(xs); minus[i] -= h
        numeric = (f([Value(x) for x in plus]).data - f([Value(x) for x in minus]).data) / (2 * h)
        if abs(numeric - v.grad) > tolerance * max(1.0, abs(numeric)):
            return False
    return True


if __name__ == "__main__":
    net = MLP(3, [4, 4, 1])
    pts = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    print(descend(net, pts, [1.0, -1.0, -1.0, 1.0]).best)
