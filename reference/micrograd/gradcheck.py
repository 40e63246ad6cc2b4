"""Check analytic gradients from backward() against finite differences."""

from .engine import Value


def numerical_grad(f, xs, h=1e-06):
    """Central differences (f(x+h) - f(x-h)) / 2h of f at the floats xs, one per input."""
    grads = []
    for i in range(len(xs)):
        shifted_up = list(xs)
        shifted_down = list(xs)
        shifted_up[i] += h
        shifted_down[i] -= h
        up = f([Value(x) for x in shifted_up]).data
        down = f([Value(x) for x in shifted_down]).data
        # The central difference is accurate to O(h**2); the one-sided one only to O(h).
        grads.append((up - down) / (2 * h))
    return grads


def gradcheck(f, xs, h=1e-06, rtol=1e-05, atol=1e-08):
    """True when backward()'s gradients of f at xs match numerical_grad's."""
    inputs = [Value(x) for x in xs]
    f(inputs).backward()
    numeric = numerical_grad(f, xs, h)
    return all(
        abs(v.grad - n) <= atol + rtol * max(abs(v.grad), abs(n))
        for v, n in zip(inputs, numeric)
    )
