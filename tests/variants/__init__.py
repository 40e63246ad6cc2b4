"""Correct submissions written differently from the reference: each must get full marks.

Each variant is a list of (module, old, new) patches of the corpus base (the reference
with tests/corpus_engine.py as its engine, as `corpus.patched_reference` builds it); where
a whole method is rewritten, `old` is that method's text cut out of the base itself.
"""
from typing import NamedTuple

from corpus import CORPUS_ENGINE, REFERENCE


class Variant(NamedTuple):
    id: str
    patches: tuple


def _method(module: str, header: str) -> str:
    """The reference's text from `header` to the next method (or the end of the file)."""
    path = CORPUS_ENGINE if module == "engine" else REFERENCE / "micrograd" / f"{module}.py"
    text = path.read_text()
    start = text.index(header)
    end = text.find("\n    def ", start + len(header))
    return text[start:] if end == -1 else text[start:end + 1]


BACKWARD = "    def backward(self):"

KAHN_BACKWARD = '''    def backward(self):
        # Kahn's algorithm: count how many consumers each node has, then release a
        # node once every consumer has passed its gradient down.
        consumers = {}
        stack, seen = [self], {id(self)}
        while stack:
            node = stack.pop()
            for child in node._prev:
                consumers[id(child)] = consumers.get(id(child), 0) + 1
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append(child)
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for child in node._prev:
                consumers[id(child)] -= 1
                if consumers[id(child)] == 0:
                    ready.append(child)
'''

RECURSIVE_BACKWARD = '''    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
'''

STABLE_TANH = '''        x = self.data
        e = math.exp(-2.0 * abs(x))  # never overflows: the exponent is <= 0
        t = math.copysign((1.0 - e) / (1.0 + e), x)'''

NEURON_SUM = "act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)"
NEURON_LOOP = """act = self.b
        for i in range(len(self.w)):
            act = act + self.w[i] * x[i]"""
MSE_SUM = "total = sum(((p - t) ** 2 for p, t in zip(predictions, targets)), Value(0.0))"
MSE_LOOP = """total = Value(0.0)
    for i in range(len(predictions)):
        diff = predictions[i] - targets[i]
        total = total + diff * diff"""
LAYER_PARAMS = "return [p for n in self.neurons for p in n.parameters()]"
LAYER_LOOP = """params = []
        for n in self.neurons:
            params.extend(n.parameters())
        return params"""
MLP_PARAMS = "return [p for layer in self.layers for p in layer.parameters()]"
MLP_LOOP = """params = []
        for layer in self.layers:
            for p in layer.parameters():
                params.append(p)
        return params"""

SLOTS = '    __slots__ = ("data", "grad", "_prev", "_op", "_backward", "label")\n'

VARIANTS = [
    Variant("every_operator_written_out", ()),  # the corpus base itself: correct, so full marks
    Variant("kahn_topological_sort", (("engine", _method("engine", BACKWARD), KAHN_BACKWARD),)),
    Variant("recursive_topological_sort", (("engine", _method("engine", BACKWARD), RECURSIVE_BACKWARD),)),
    Variant("tuple_children_instead_of_prev", (
        ("engine", SLOTS, SLOTS.replace('"_prev"', '"_children"')),
        ("engine", "self._prev = tuple(_children)", "self._children = tuple(_children)"),
        ("engine", "for child in node._prev:", "for child in node._children:"),
        ("viz", "if v._prev:", "if v._children:"),
        ("viz", "for child in v._prev:", "for child in v._children:"),
    )),
    Variant("prev_as_a_set", (("engine", "self._prev = tuple(_children)", "self._prev = set(_children)"),)),
    Variant("division_as_b_to_the_minus_one", (
        ("engine", _method("engine", "    def __truediv__(self, other):"),
         "    def __truediv__(self, other):\n        return self * other**-1\n\n"),
        ("engine", _method("engine", "    def __rtruediv__(self, other):"),
         "    def __rtruediv__(self, other):\n        return other * self**-1\n\n"),
    )),
    Variant("without_slots", (("engine", SLOTS, ""),)),
    Variant("numerically_stable_tanh_formula", (("engine", "        t = math.tanh(self.data)", STABLE_TANH),)),
    Variant("explicit_loops_instead_of_sum", (
        ("nn", NEURON_SUM, NEURON_LOOP),
        ("nn", LAYER_PARAMS, LAYER_LOOP),
        ("nn", MLP_PARAMS, MLP_LOOP),
        ("losses", MSE_SUM, MSE_LOOP),
    )),
    Variant("integer_gradients_where_whole", (
        ("engine", "self.grad = 0.0\n", "self.grad = 0\n"),
        ("engine", "self.grad = 1.0\n        # Reverse", "self.grad = 1\n        # Reverse"),
        ("engine", "            if out.data > 0:\n                self.grad += out.grad",
         "            self.grad += (out.data > 0) * out.grad"),
        ("nn", "p.grad = 0.0", "p.grad = 0"),
        ("optim", "p.grad = 0.0", "p.grad = 0"),
    )),
]
