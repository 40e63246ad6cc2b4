"""M1 + M2: a scalar that remembers how it was computed, so it can backpropagate.

The idea: every operation makes a NEW Value `out` and gives it a `_backward` closure.
When called, that closure takes `out.grad` (dLoss/dout), multiplies it by the local
derivative of this one operation, and ADDS the result to each operand's `.grad`.
`backward()` then calls every node's `_backward` in the right order.

Pitfalls the graders look for:
- Write `self.grad += ...`, never `self.grad = ...`. A node that is used twice
  (`a * a`, or `b = a + 1; c = a * b`) receives gradient from each use; `=` keeps
  only the last one.
- `2 * v`, `2 + v`, `2 - v`, `2 / v` need the reverse operators __rmul__, __radd__,
  __rsub__, __rtruediv__. Python calls them when the left operand is a plain number.
  Careful: `2 - v` is not `v - 2`, and `2 / v` is not `v / 2`.
"""


class Value:
    """One number in a computation graph, plus the gradient of the final output w.r.t. it.

    Attributes you must create in __init__:
      data      -- the number, as a float
      grad      -- dOutput/dself, starts at 0.0
      _prev     -- the operands this Value was made from (a tuple or a set of Values;
                   empty for an input)
      _op       -- a short string naming the operation, e.g. '+', '*', 'tanh' ('' for inputs)
      _backward -- a function of no arguments; for inputs one that does nothing
      label     -- an optional name, handy in draw_dot pictures
    """

    def __init__(self, data, _children=(), _op='', label=''):
        raise NotImplementedError("M1: implement Value.__init__ (store data as a float, grad=0.0, _prev, _op, _backward, label)")

    def __repr__(self):
        """Return e.g. 'Value(data=2.0, grad=0.0)': show both data and grad."""
        raise NotImplementedError("M1: implement Value.__repr__ (show data and grad)")

    def __add__(self, other):
        """self + other, where other is a Value or an int/float.

        Local derivatives: d(a+b)/da = 1 and d(a+b)/db = 1, so each operand gets
        `+= out.grad`. A plain number needs no gradient: wrap it in a Value, or use it
        as a constant.
        """
        raise NotImplementedError("M1: implement Value.__add__ (self + other)")

    def __mul__(self, other):
        """self * other.

        Local derivatives: d(a*b)/da = b and d(a*b)/db = a: each factor's gradient is
        the OTHER factor's data times out.grad. For `a * a` both updates land on the
        same node; with += that correctly gives 2a.
        """
        raise NotImplementedError("M1: implement Value.__mul__ (self * other)")

    def __pow__(self, other):
        """self ** other, for an int or float exponent only (not a Value).

        Local derivative: d(x**n)/dx = n * x**(n-1).
        """
        raise NotImplementedError("M1: implement Value.__pow__ (self ** int/float)")

    def __neg__(self):
        """-self. Local derivative: -1."""
        raise NotImplementedError("M1: implement Value.__neg__ (-self)")

    def __sub__(self, other):
        """self - other. Either directly (derivatives +1 and -1) or as self + (-other)."""
        raise NotImplementedError("M1: implement Value.__sub__ (self - other)")

    def __truediv__(self, other):
        """self / other, directly or as self * other**-1.

        Local derivatives: d(a/b)/da = 1/b and d(a/b)/db = -a/b**2. Mind the MINUS:
        making b bigger makes a/b smaller (for positive a).
        """
        raise NotImplementedError("M1: implement Value.__truediv__ (self / other)")

    def __radd__(self, other):
        """other + self, called for `2 + v` because int.__add__ does not know Values."""
        raise NotImplementedError("M1: implement Value.__radd__ (other + self)")

    def __rmul__(self, other):
        """other * self, called for `2 * v`."""
        raise NotImplementedError("M1: implement Value.__rmul__ (other * self)")

    def __rsub__(self, other):
        """other - self, called for `2 - v`. Not the same as self - other!"""
        raise NotImplementedError("M1: implement Value.__rsub__ (other - self)")

    def __rtruediv__(self, other):
        """other / self, called for `2 / v`. d(c/x)/dx = -c/x**2."""
        raise NotImplementedError("M1: implement Value.__rtruediv__ (other / self)")

    def relu(self):
        """max(0, self).

        Local derivative: 1 where the output is positive, else 0 (also at exactly 0).
        """
        raise NotImplementedError("M2: implement Value.relu")

    def tanh(self):
        """tanh(self).

        Use math.tanh: the formula (e**2x - 1)/(e**2x + 1) overflows for x = 1000.
        Local derivative: 1 - t**2 where t is the OUTPUT tanh(x): compute it from
        out.data in _backward, not by differentiating the formula again.
        """
        raise NotImplementedError("M2: implement Value.tanh")

    def backward(self):
        """Fill in .grad of every Value this one depends on.

        1. Put the graph in topological order: every node after all of its operands,
           each node ONCE, even when it feeds several consumers (keep a visited set).
        2. Set self.grad = 1.0 (dself/dself).
        3. Call each node's _backward in REVERSE topological order, so a node's
           gradient is complete before it is passed on.
        Do not zero any gradients here: that is zero_grad's job. A recursive
        topological sort fails on very deep graphs (RecursionError); a loop with an
        explicit stack does not.
        """
        raise NotImplementedError("M2: implement Value.backward (topological sort, then _backward in reverse)")
