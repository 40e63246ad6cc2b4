"""M2: check the gradients from backward() against finite differences."""

from .engine import Value  # noqa: F401  (you will need it to wrap the inputs)


def numerical_grad(f, xs, h=1e-06):
    """Central finite differences of f at the floats xs.

    f takes a list of Values and returns a Value. For each i, evaluate f with xs[i]
    moved to xs[i] + h and to xs[i] - h (the other inputs unchanged) and return the
    list of (f_plus - f_minus) / (2 * h). The central difference is far more accurate
    than the one-sided (f(x + h) - f(x)) / h.
    """
    raise NotImplementedError("M2: implement numerical_grad (central differences)")


def gradcheck(f, xs, h=1e-06, rtol=1e-05, atol=1e-08):
    """True when backward()'s gradients of f at xs match numerical_grad.

    Build fresh Values from xs, call f(...).backward(), then compare each analytic
    gradient a with the numerical one n: they match when
    |a - n| <= atol + rtol * max(|a|, |n|). All must match.
    """
    raise NotImplementedError("M2: implement gradcheck (compare backward() with numerical_grad)")
