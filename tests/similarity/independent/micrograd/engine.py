# Written independently of the reference, in another style: every operation lists its
# parents with their local derivatives, and one shared closure applies the chain rule.
import math


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


class Value:
    def __init__(self, data, _children=(), _op='', label=''):
        self.data = float(data)
        self.grad = 0.0
        self._prev = set(_children)
        self._op = _op
        self.label = label
        self._backward = lambda: None

    @staticmethod
    def _node(data, op, parents_and_slopes):
        node = Value(data, tuple(p for p, _ in parents_and_slopes), op)

        def chain():
            for parent, slope in parents_and_slopes:
                parent.grad += slope * node.grad
        node._backward = chain
        return node

    def __add__(self, other):
        other = _as_value(other)
        return Value._node(self.data + other.data, '+', [(self, 1.0), (other, 1.0)])

    def __mul__(self, other):
        other = _as_value(other)
        return Value._node(self.data * other.data, '*', [(self, other.data), (other, self.data)])

    def __pow__(self, k):
        assert isinstance(k, (int, float)), "only numeric exponents"
        return Value._node(self.data ** k, f'**{k}', [(self, k * self.data ** (k - 1))])

    def __neg__(self):
        return Value._node(-self.data, 'neg', [(self, -1.0)])

    def __sub__(self, other):
        other = _as_value(other)
        return Value._node(self.data - other.data, '-', [(self, 1.0), (other, -1.0)])

    def __truediv__(self, other):
        other = _as_value(other)
        q = self.data / other.data
        return Value._node(q, '/', [(self, 1.0 / other.data), (other, -q / other.data)])

    def __radd__(self, other):
        return _as_value(other) + self

    def __rmul__(self, other):
        return _as_value(other) * self

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def relu(self):
        on = self.data > 0
        return Value._node(self.data if on else 0.0, 'ReLU', [(self, 1.0 if on else 0.0)])

    def tanh(self):
        if self.data > 20:
            t = 1.0
        elif self.data < -20:
            t = -1.0
        else:
            e = math.exp(-2 * abs(self.data))
            t = math.copysign((1 - e) / (1 + e), self.data)
        return Value._node(t, 'tanh', [(self, 1 - t * t)])

    def backward(self):
        order, done = [], set()
        pending = [(self, False)]
        while pending:
            node, expanded = pending.pop()
            if expanded:
                order.append(node)
            elif node not in done:
                done.add(node)
                pending.append((node, True))
                pending.extend((p, False) for p in node._prev if p not in done)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self):
        return f'Value(data={self.data}, grad={self.grad})'
