"""Where the code is, by what it does: definitions keep what they need, a parse error is
said as one, and the autograd class is found by its role whatever it is called."""
import sys

import nbformat
import pytest

import corpus
from micrograde.layout import discover

RNG_SCRIPT = '''import math

class RNG:
    def __init__(self, seed):
        self.state = seed

    def uniform(self, a, b):
        self.state = (self.state * 1103515245 + 12345) % 2**31
        return a + (b - a) * self.state / 2**31

random = RNG(42)

class Value:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0.0
        self._prev = set(_children)

class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]

    def parameters(self):
        return self.w

x = Value(2.0)
model = Neuron(3)
for k in range(100):
    out = model.parameters()
print(out)
'''


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def test_a_script_read_for_its_definitions_keeps_the_bindings_they_read(tmp_path):
    (tmp_path / "backprop.py").write_text(RNG_SCRIPT)
    layout = discover(tmp_path)
    [book] = layout.definitions_only
    assert [s["code"] for s in book["skipped"]] == ["x = Value(2.0)", "model = Neuron(3)", "for k in range(100):",
                                                    "print(out)"]
    namespace = {}
    exec(compile(layout.generated["_micrograde_py_backprop.py"], "generated", "exec"), namespace)  # our fixture
    weights = [w.data for w in namespace["Neuron"](3).w]
    assert len(weights) == 3 and all(-1 <= w <= 1 for w in weights)
    assert "model" not in namespace and "x" not in namespace


def test_a_binding_a_definition_reads_is_kept_transitively_and_a_local_name_is_not_a_dependency(tmp_path):
    _notebook(tmp_path / "lab.ipynb", [
        "SEED = 3\nscale = float(SEED) * 2\nfactor = scale / 4",
        "def mse_loss(predictions, targets):\n    out = factor\n    return out",
        "out = mse_loss([], [])\nprint(out)",
    ])
    layout = discover(tmp_path)
    source = layout.generated["_micrograde_nb_lab.py"]
    assert "scale = float(SEED) * 2" in source and "factor = scale / 4" in source
    assert "out = mse_loss([], [])" not in source


NN_CELL = '''import random

class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)

    def parameters(self):
        return self.w + [self.b]

class MLP:
    def __init__(self, nin, nouts)
        self.layers = []
'''


def test_a_cell_that_does_not_parse_is_reported_with_its_cell_line_error_and_python(tmp_path):
    _notebook(tmp_path / "lab.ipynb", ["import math", corpus.REFERENCE.joinpath("micrograd", "engine.py").read_text(),
                                       NN_CELL])
    layout = discover(tmp_path)
    python = ".".join(map(str, sys.version_info[:3]))
    assert layout.names["engine.Value"]["found"]
    for key in ("nn.Neuron", "nn.MLP"):
        entry = layout.imports[key]
        assert entry["error"] == "SyntaxError"
        assert entry["unparsable"].startswith("lab.ipynb cell 3, line 12: expected ':'")
        assert f"Python {python}" in entry["unparsable"] and "not found" not in entry["unparsable"]
    assert layout.report()["unparsable"] == ["lab.ipynb cell 3, line 12: SyntaxError: expected ':'"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="PEP 695 syntax parses from Python 3.12 on")
def test_syntax_newer_than_the_grading_python_is_a_parse_error_naming_that_python(tmp_path):
    (tmp_path / "engine.py").write_text("type Number = float\n\nclass Value:\n    def __init__(self, data):\n"
                                        "        self.data = data\n")
    layout = discover(tmp_path)
    message = layout.imports["engine.Value"]["unparsable"]
    assert message.startswith("engine.py, line 1: invalid syntax")
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in message
    assert layout.names["engine.Value"]["unparsable"] == "engine.py, line 1"
