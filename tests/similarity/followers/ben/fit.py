# ben's homework 2: everything after the lecture
import math


def squared_error_mean(preds, wanted):
    n = len(preds)
    if n == 0:
        raise ValueError("empty")
    if n != len(wanted):
        raise ValueError("length mismatch")
    return sum(((a - b) ** 2 for a, b in zip(preds, wanted)), 0.0) / n


def numeric_gradient(f, xs, h=1e-6):
    from engine import Value
    grads = []
    for i in range(len(xs)):
        up = [Value(x + (h if j == i else 0.0)) for j, x in enumerate(xs)]
        down = [Value(x - (h if j == i else 0.0)) for j, x in enumerate(xs)]
        grads.append((f(up).data - f(down).data) / (2 * h))
    return grads


def fit(net, inputs, outputs, rounds=100, step_size=0.05):
    losses = []
    params = net.parameters()
    r = 0
    while r < rounds:
        guess = [net(i) for i in inputs]
        err = squared_error_mean(guess, outputs)
        losses.append(float(err.data))
        for q in params:
            q.grad = 0
        err.backward()
        for q in params:
            q.data = q.data - step_size * q.grad
        r += 1
    if any(math.isnan(l) for l in losses):
        print("diverged, try a smaller step")
    return losses
