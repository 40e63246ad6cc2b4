"""The model solution of each extra operation a course may add (graders/micrograde/trusted/
operations.py is the catalogue), as the methods of the reference's Value.

A course's reference is the reference with these methods added to Value
(micrograde.course.extend.extended_reference); reference/ is never shipped, so neither
are these. Each method follows the engine's pattern: a new Value, and a `_backward`
closure that adds the local derivative times out.grad into the operand with +=.
"""

METHODS = {
    "exp": '''
    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            # d(e^x)/dx = e^x: the output itself.
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
''',
    "log": '''
    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out
''',
    "sigmoid": '''
    def sigmoid(self):
        x = self.data
        # Never overflows: exp of a non-positive number only.
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out
''',
    "abs": '''
    def __abs__(self):
        out = Value(abs(self.data), (self,), "abs")

        def _backward():
            # The sign of x (0 at the kink, where |x| has no derivative).
            self.grad += (1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0) * out.grad

        out._backward = _backward
        return out
''',
    "sqrt": '''
    def sqrt(self):
        out = Value(math.sqrt(self.data), (self,), "sqrt")

        def _backward():
            self.grad += 0.5 / out.data * out.grad

        out._backward = _backward
        return out
''',
    "pow_value": '''
    def __pow__(self, other):
        # A Value exponent too: d(a**b)/da = b a**(b-1), d(a**b)/db = a**b log(a) (a > 0).
        if not isinstance(other, Value):
            out = Value(self.data ** other, (self,), f"**{other}")

            def _backward():
                self.grad += other * self.data ** (other - 1) * out.grad

            out._backward = _backward
            return out
        out = Value(self.data ** other.data, (self, other), "**")

        def _backward():
            self.grad += other.data * self.data ** (other.data - 1) * out.grad
            other.grad += out.data * math.log(self.data) * out.grad

        out._backward = _backward
        return out
''',
}
