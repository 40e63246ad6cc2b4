# The base engine of the test corpus (tests/mutants.py, tests/variants/, tests/hostile.py):
# a correct engine written out the long way, every operator by hand, once for a Value and
# once for a plain number, each with its own gradient. It was the reference's engine until
# the reference took micrograd's short form (- and / built from +, * and **). Many students
# write theirs like this, and the classic sign bugs of hand-written -, / and reflected
# operators need such code to live in. corpus.patched_reference() puts it in place of the
# reference's engine.py; the variant `every_operator_written_out` checks that, unpatched,
# it gets full marks.
"""A scalar value that remembers how it was computed, so it can backpropagate.

Every operation creates a new ``Value`` whose ``_backward`` closure knows the local
derivative of that one operation. ``backward()`` visits the graph in reverse
topological order and lets each node push its gradient down to its operands.
"""

import math


def _leaf_backward():
    # Leaves have no operands to pass gradient to. One shared function instead of a
    # fresh lambda per Value saves an allocation for every node of the graph.
    pass


class Value:
    """One number in a computation graph, with the gradient of the output w.r.t. it."""

    # Slots make Values smaller and attribute access faster; a training step creates
    # tens of thousands of them.
    __slots__ = ("data", "grad", "_prev", "_op", "_backward", "label")

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        # A tuple, not a set: cheaper to build, and backward() deduplicates anyway.
        self._prev = tuple(_children)
        self._op = _op
        self._backward = _leaf_backward
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # ------------------------------------------------------------------ arithmetic
    # A plain number on the other side is used as a constant directly rather than
    # wrapped in a Value: it needs no gradient, so a node for it would be wasted work.

    def __add__(self, other):
        if isinstance(other, Value):
            out = Value(self.data + other.data, (self, other), "+")

            def _backward():
                # d(a+b)/da = d(a+b)/db = 1. Always +=: a node may feed many consumers.
                self.grad += out.grad
                other.grad += out.grad

        elif isinstance(other, (int, float)):
            out = Value(self.data + other, (self,), "+")

            def _backward():
                self.grad += out.grad

        else:
            return NotImplemented
        out._backward = _backward
        return out

    def __mul__(self, other):
        if isinstance(other, Value):
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                # Each factor's gradient is the *other* factor. For a * a both lines
                # hit the same node, which is why they must accumulate.
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

        elif isinstance(other, (int, float)):
            out = Value(self.data * other, (self,), "*")

            def _backward():
                self.grad += other * out.grad

        else:
            return NotImplemented
        out._backward = _backward
        return out

    def __sub__(self, other):
        if isinstance(other, Value):
            out = Value(self.data - other.data, (self, other), "-")

            def _backward():
                self.grad += out.grad
                other.grad -= out.grad

        elif isinstance(other, (int, float)):
            out = Value(self.data - other, (self,), "-")

            def _backward():
                self.grad += out.grad

        else:
            return NotImplemented
        out._backward = _backward
        return out

    def __truediv__(self, other):
        if isinstance(other, Value):
            out = Value(self.data / other.data, (self, other), "/")

            def _backward():
                # d(a/b)/da = 1/b and d(a/b)/db = -a/b**2 (note the minus sign).
                self.grad += out.grad / other.data
                other.grad -= out.grad * self.data / other.data**2

        elif isinstance(other, (int, float)):
            out = Value(self.data / other, (self,), "/")

            def _backward():
                self.grad += out.grad / other

        else:
            return NotImplemented
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

    def __neg__(self):
        out = Value(-self.data, (self,), "neg")

        def _backward():
            self.grad -= out.grad

        out._backward = _backward
        return out

    # Without these, `2 * v` fails: Python asks int.__mul__ first, which gives up,
    # and then falls back to v.__rmul__(2).

    def __radd__(self, other):  # other + self
        return self + other

    def __rmul__(self, other):  # other * self
        return self * other

    def __rsub__(self, other):  # other - self: not the same as self - other
        if not isinstance(other, (int, float)):
            return NotImplemented
        out = Value(other - self.data, (self,), "-")

        def _backward():
            self.grad -= out.grad

        out._backward = _backward
        return out

    def __rtruediv__(self, other):  # other / self
        if not isinstance(other, (int, float)):
            return NotImplemented
        out = Value(other / self.data, (self,), "/")

        def _backward():
            # d(c/x)/dx = -c/x**2
            self.grad -= out.grad * other / self.data**2

        out._backward = _backward
        return out

    # ----------------------------------------------------------------- activations

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

    # -------------------------------------------------------------------- backward

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
