"""Turning what the submission hands back into plain data, and walking its graph."""
import numbers

from . import lookup
from .lookup import children


def plain(x):
    """A number as a float; anything else as the name of its type, for the grader to report.

    Any real number counts (numpy.float64, numpy.float32, Fraction, ...): the contract asks
    for numbers, and `float()` of a numbers.Real is its value. A Value is not one.
    """
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except Exception:  # a hostile __float__: not a number we can use
            pass
    return f"<{type(x).__name__}>"


def data_of(v):
    """The number a Value holds, wherever the submission keeps it (`.data`, or `.value` found by role)."""
    return plain(lookup.get(v, "data", v))


def grad_of(v):
    return plain(lookup.get(v, "grad"))


def set_data(v, x) -> None:
    lookup.put(v, "data", x)


def set_grad(v, g) -> None:
    lookup.put(v, "grad", g)


def topological_order(root) -> list:
    """Every node reachable from root, operands before results, without recursion."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in children(node):
            if id(child) not in seen:
                stack.append((child, False))
    return order


def run_local_backward(root) -> None:
    """backward() done by the grader's walk, calling only each node's own _backward."""
    order = topological_order(root)
    set_grad(root, 1.0)
    for node in reversed(order):
        getattr(node, lookup.own("_backward"))()
