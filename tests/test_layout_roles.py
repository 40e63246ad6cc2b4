"""Where the code is, by what it does: definitions keep what they need, a parse error is
said as one, and the autograd class is found by its role whatever it is called."""
import multiprocessing
import re
import sys
from concurrent.futures import ProcessPoolExecutor

import nbformat
import pytest

import corpus
from micrograde.layout import discover
from micrograde.layout.render import layout_lines

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

class Layer:
    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]
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


# -- graded end to end: each mechanism costs exactly the checks it should ---------------------
MODULES = ("engine", "gradcheck", "viz", "nn", "losses", "optim", "train")


def _module(name: str) -> str:
    return re.sub(r"^from \.\w+ import .*$", "", (corpus.REFERENCE / "micrograd" / f"{name}.py").read_text(), flags=re.M)


def _renamed(text: str) -> str:
    """The reference as a student who calls the class `value`, keeps its number in `.value`
    and its operands in `.prev` would write it."""
    text = re.sub(r"\bValue\b", "value", text)
    text = re.sub(r"\.data\b", ".value", text).replace('"data"', '"value"')
    return re.sub(r"\b_prev\b", "prev", text)


def class_value(dest):
    _notebook(dest / "micrograd.ipynb", ["import math\nimport random"] + [_renamed(_module(m)) for m in MODULES])


RNG_CLASS = '''import random as _stdlib_random


class RNG:
    """The course's random source: one object the network draws from."""

    def __init__(self, seed):
        self.seed = seed

    def uniform(self, a, b):
        return _stdlib_random.uniform(a, b)


random = RNG(42)
'''


def rng_script(dest):
    """One script: its Neuron draws from a module-level `random = RNG(42)`; it trains at import."""
    dest.mkdir(parents=True)
    body = "\n\n".join([_module("engine"), _module("nn")]).replace("import random\n", "")
    (dest / "network.py").write_text("import math\n" + RNG_CLASS + body
                                     + "\nmodel = MLP(3, [4, 1])\nfor step in range(1000):\n"
                                       "    loss = sum((model([1.0, 2.0, 3.0]) - 1.0) ** 2 for _ in range(2))\n"
                                       "    loss.backward()\nprint(loss)\n")


def two_labs(dest):
    """lab1 has a Value; lab2 builds its own Value and the network on it."""
    (dest / "lab1").mkdir(parents=True)
    (dest / "lab1" / "engine.py").write_text(_module("engine"))
    (dest / "lab2").mkdir()
    (dest / "lab2" / "network.py").write_text(_module("engine") + "\n\nimport random\n\n" + _module("nn"))


def syntax_error_cell(dest):
    _notebook(dest / "lab.ipynb", ["import math", _module("engine"), NN_CELL])


def tanh_typo(dest):
    """A notebook whose tanh misspells `math`: the traceback must name the cell and line."""
    engine = _module("engine").replace("math.tanh(", "mathh.tanh(", 1)
    assert "mathh" in engine
    _notebook(dest / "lab.ipynb", ["import math\nimport random\n%matplotlib inline", "x = 1\nprint(x)", engine]
              + [_module(m) for m in MODULES[1:]])


GRADED = {"class_value": (class_value, ["m1", "m3"]), "rng_script": (rng_script, ["m3"]),
          "two_labs": (two_labs, ["m3"]), "syntax_error_cell": (syntax_error_cell, ["m3"]),
          "tanh_typo": (tanh_typo, ["m2"])}


def _grade(kind, folder):
    build, milestones = GRADED[kind]
    build(folder / "submission")
    return corpus.grade(folder / "submission", folder / "report.json", milestones=milestones)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("roles")
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    futures = {kind: pool.submit(_grade, kind, root / kind) for kind in GRADED}
    yield lambda kind: futures[kind].result()
    pool.shutdown(cancel_futures=True)


def _lost(report) -> dict:
    return {t["name"]: t for t in report["tests"] if t["score"] < t["max_score"]}


def test_a_class_named_value_with_prev_and_value_costs_only_the_two_naming_checks(graded):
    report = graded("class_value")
    lost = _lost(report)
    assert sorted(lost) == ["test_value_records_its_operands_and_operation",
                            "test_value_stores_data_and_starts_with_zero_grad"]
    data = lost["test_value_stores_data_and_starts_with_zero_grad"]["feedback"]
    assert "called value (micrograd.ipynb cell 2, line" in data and "in .value; the contract names it .data" in data
    assert "in .prev; the contract names it ._prev or ._children" in \
        lost["test_value_records_its_operands_and_operation"]["feedback"]
    entry = report["layout"]["names"]["engine.Value"]
    assert (entry["name"], entry["cell"], entry["attributes"]) == ("value", 2, {"_prev": "prev", "data": "value"})
    assert report["integrity"] == []


def test_a_neuron_drawing_from_a_module_level_rng_is_graded_although_the_script_trains_at_import(graded):
    report = graded("rng_script")
    assert report["score"] == report["max_score"], _lost(report)
    [book] = report["layout"]["definitions_only"]
    assert [s["code"] for s in book["skipped"]] == ["model = MLP(3, [4, 1])", "for step in range(1000):",
                                                    "print(loss)"]


def test_the_network_comes_from_the_file_that_builds_its_own_value(graded):
    report = graded("two_labs")
    names = report["layout"]["names"]
    assert names["engine.Value"]["file"] == names["nn.MLP"]["file"] == "lab2/network.py"
    assert report["score"] == report["max_score"], _lost(report)


def test_a_cell_that_does_not_parse_is_every_dependent_checks_feedback(graded):
    report = graded("syntax_error_cell")
    python = ".".join(map(str, sys.version_info[:3]))
    assert report["score"] == 0
    for t in report["tests"]:
        assert t["status"] == "error", t
        assert t["feedback"].startswith("SyntaxError: lab.ipynb cell 3, line 12: expected ':'"), t["feedback"]
        assert f"Python {python}" in t["feedback"] and "not found" not in t["feedback"]


def test_a_traceback_names_the_notebook_cell_and_line_never_a_generated_module(graded):
    report = graded("tanh_typo")
    line = 1 + [i for i, text in enumerate(_module("engine").replace("math.tanh(", "mathh.tanh(", 1).splitlines())
                if "mathh" in text][0]
    lost = _lost(report)
    tanh = [t for name, t in lost.items() if "tanh" in name]
    assert tanh and all(f'File "lab.ipynb", cell 3, line {line}, in tanh' in t["feedback"] for t in tanh), tanh
    assert not any("_micrograde" in t["feedback"] for t in report["tests"])


NODE = '''class Node:
    def __init__(self, value, kids=(), kind=''):
        self.value = value
        self.gradient = 0
        self.kids = tuple(kids)
        self.kind = kind
        self.back = lambda: None

    def __add__(self, other):
        out = Node(self.value + other.value, (self, other), '+')
        def back():
            self.gradient += out.gradient
            other.gradient += out.gradient
        out.back = back
        return out

    def backward(self):
        self.gradient = 1
        self.back()
'''
DECOY = '''class Tensor:
    """A batch of numbers for the data loader: no arithmetic, no gradients."""
    def __init__(self, data):
        self.data = list(data)

    def __len__(self):
        return len(self.data)
'''


def test_the_autograd_class_is_the_one_the_network_builds_and_its_attributes_are_found_by_what_they_hold(tmp_path):
    (tmp_path / "autodiff.py").write_text(NODE)
    (tmp_path / "data.py").write_text(DECOY)
    (tmp_path / "net.py").write_text("import random\nfrom autodiff import Node\n\nclass Neuron:\n"
                                     "    def __init__(self, nin):\n        self.w = [Node(random.uniform(-1, 1)) "
                                     "for _ in range(nin)]\n")
    layout = discover(tmp_path)
    entry = layout.names["engine.Value"]
    assert (entry["file"], entry["name"]) == ("autodiff.py", "Node")
    assert entry["attributes"] == {"_backward": "back", "_op": "kind", "_prev": "kids", "data": "value",
                                   "grad": "gradient"}
    assert layout.worker_config()["attributes"]["_prev"] == "kids"
    [line] = [line for line in layout_lines(layout.report()) if "engine.Value" in line]
    assert "autodiff.py:1 " in line and line.endswith(
        "(spelled Node); _backward = back, _op = kind, _prev = kids, data = value, grad = gradient"), line


def test_a_notebook_module_has_what_ipython_gives_every_notebook_and_the_kits_prelude_is_no_finding(tmp_path):
    _notebook(tmp_path / "lab.ipynb", ["def mse_loss(predictions, targets):\n"
                                       "    return __builtin__.sum((p - t) ** 2 for p, t in zip(predictions, targets))"])
    layout = discover(tmp_path)
    namespace = {}
    exec(compile(layout.generated["_micrograde_nb_lab.py"], "generated", "exec"), namespace)  # our fixture
    assert namespace["mse_loss"]([1.0, 2.0], [0.0, 0.0]) == 5.0
    from micrograde import integrity
    assert integrity.scan_submission(tmp_path, layout).findings.to_list() == []


LABEL_FIRST = '''class Value:
    def __init__(self, data, label="", _prev=(), _op=""):
        self.data = data
        self.label = label
        self._prev = list(_prev)
        self._op = _op
        self.grad = 0.0
        self._backward = lambda: None

    def __add__(self, other):
        out = Value(self.data + other.data, _prev=[self, other], _op="+")
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def backward(self):
        self.grad = 1.0
        self._backward()
'''


def test_an_attribute_spelled_as_the_contract_spells_it_is_its_role_whatever_the_parameters_place(tmp_path):
    # An extra parameter before the operands (`label`) must not shift _prev onto the label and _op onto _prev.
    (tmp_path / "engine.py").write_text(LABEL_FIRST)
    layout = discover(tmp_path)
    assert "attributes" not in layout.names["engine.Value"]
    assert {role: layout.attributes[role] for role in ("data", "_prev", "_op")} == \
        {"data": "data", "_prev": "_prev", "_op": "_op"}
    assert layout.worker_config()["attributes"]["_prev"] == "_prev"  # where the probes read the operands


PLACED = '''class Num:
    def __init__(self, n, {extra}kids=(), {late}kind=''):
        self.n = n
{stores}        self.kids = tuple(kids)
        self.kind = kind
        self.g = 0

    def __mul__(self, other):
        out = Num(self.n * other.n, kids=(self, other), kind='*')
        def step():
            self.g += other.n * out.g
            other.g += self.n * out.g
        out.step = step
        return out

    def backward(self):
        self.g = 1
        self.step()
'''


@pytest.mark.parametrize("extra, late, stores", [
    ("name='', ", "", "        self.name = name\n"),
    ("g=0, ", "step=lambda: None, ", "        self.step = step\n"),
], ids=["string-label-first", "number-and-function-defaults"])
def test_a_place_guess_skips_a_parameter_whose_default_cannot_be_what_the_role_holds(tmp_path, extra, late, stores):
    # No contract spelling to anchor on: a string, number or function default is no operands, a
    # function is no operation, so each role is the next parameter that can hold it.
    (tmp_path / "autodiff.py").write_text(PLACED.format(extra=extra, late=late, stores=stores))
    layout = discover(tmp_path)
    attributes = layout.names["engine.Value"]["attributes"]
    assert (attributes["data"], attributes["_prev"], attributes["_op"]) == ("n", "kids", "kind")


STORED_BY_ITS_OPERATORS = '''class Num:
    def __init__(self, n, kids=(), kind=''{param}):
        self.n = n
        self.g = 0
        self.kids = tuple(kids)
        self.kind = kind
{stores}
    def __mul__(self, other):
        out = Num(self.n * other.n, (self, other), '*')
        def __back():
            self.g += other.n * out.g
            other.g += self.n * out.g
        out.back = __back
        return out

    def __add__(self, other):
        out = Num(self.n + other.n, (self, other), '+')
        out.back = lambda: None
        return out

    def backward(self):
        self.g = 1
        self.back()
'''


@pytest.mark.parametrize("param, stores", [
    (", back=lambda: None", "        self.back = back\n"),
    ("", "        self.back = None\n"),
    ("", ""),
], ids=["a-parameter-with-a-function-default", "set-to-none-first", "never-set-in-init"])
def test_the_local_backward_is_the_attribute_its_operators_store_their_functions_in(tmp_path, param, stores):
    (tmp_path / "autodiff.py").write_text(STORED_BY_ITS_OPERATORS.format(param=param, stores=stores))
    layout = discover(tmp_path)
    assert layout.names["engine.Value"]["attributes"]["_backward"] == "back"
