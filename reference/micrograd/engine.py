"""A scalar value that remembers how it was computed, so it can backpropagate.

Every operation creates a new ``Value`` whose ``_backward`` closure knows the local
derivative of that one operation. ``backward()`` visits the graph in reverse
topological order and lets each node push its gradient down to its operands.
Only ``+``, ``*``, ``**``, ``relu`` and ``tanh`` have derivatives of their own:
``-`` and ``/`` (and their reflected forms) are built from them.
"""

import math


def _leaf_backward():
    # Leaves have no operands to pass gradient to. One shared function instead of a
    # fresh lambda per Value saves an allocation for every node of the graph.
    pass


def _as_value(x):
    """A plain number as a constant Value: the one place where numbers enter the graph.
    A constant is a leaf that nothing trains; its gradient is computed and never read."""
    return x if isinstance(x, Value) else Value(x)


class Value:
    """One number in a computation graph, with the gradient of the output w.r.t. it."""

    # Slots make Values smaller and attribute access faster; a training step creates
    # tens of thousands of them.
    __slots__ = ("data", "grad", "_prev", "_op", "_backward", "label")

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        # A tuple, not a set: cheaper to build, and backward() visits each node once anyway.
        self._prev = tuple(_children)
        self._op = _op
        self._backward = _leaf_backward
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            # d(a+b)/da = d(a+b)/db = 1. Always +=: a node may feed many consumers.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            # Each factor's gradient is the *other* factor. For a * a both lines hit
            # the same node, which is why they must accumulate.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        if not isinstance(other, (int, float)):
            raise TypeError("Value ** exponent supports only int/float exponents")
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward():
            # Power rule: d(x**n)/dx = n * x**(n-1).
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "ReLU")

        def _backward():
            # Slope 1 where the output is positive, 0 elsewhere (including exactly 0).
            if out.data > 0:
                self.grad += out.grad

        out._backward = _backward
        return out

    def tanh(self):
        # math.tanh saturates to +-1 for large |x|; the textbook formula built from
        # exp(2x) overflows at x = 1000.
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            # d tanh(x)/dx = 1 - tanh(x)**2: reuse the output rather than recompute.
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        """Fill in .grad of every node this Value depends on (accumulating, not zeroing)."""
        # Depth-first post-order with an explicit stack: a recursive walk would hit
        # Python's recursion limit on deep graphs (a chain of 1,000,000 operations).
        order = []
        visited = set()
        stack = [(self, False)]
        while stack:
            node, operands_done = stack.pop()
            if operands_done:
                order.append(node)  # everything it depends on is already in `order`
                continue
            if node in visited:
                continue  # reached again through another consumer: visit it once only
            visited.add(node)
            stack.append((node, True))
            for child in node._prev:
                if child not in visited:
                    stack.append((child, False))

        self.grad = 1.0
        # Reverse order: a node's gradient is complete before it is passed further down.
        for node in reversed(order):
            node._backward()

    # The rest is built from the operations above, so their gradients come for free:
    # d(a/b)/db = d(a * b**-1)/db = -a/b**2 without writing it down.

    def __neg__(self):  # -self
        return self * -1

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __truediv__(self, other):  # self / other
        return self * other**-1

    # Without these, `2 * v` fails: Python asks int.__mul__ first, which gives up,
    # and then falls back to v.__rmul__(2).

    def __radd__(self, other):  # other + self
        return self + other

    def __rmul__(self, other):  # other * self
        return self * other

    def __rsub__(self, other):  # other - self: not the same as self - other
        return other + (-self)

    def __rtruediv__(self, other):  # other / self
        return other * self**-1
