"""The static integrity scan: every rule fires on hostile code, however it is spelled, and
nothing fires on correct micrograd code written the many ways students write it."""
import json

import pytest

from corpus import REFERENCE, TEMPLATE, patched_reference
from hostile import HANDOFF_DROP, HANDOFF_PICKUP, INTEGRITY_SNIPPETS, SNOOP_SECRETS, cases
from micrograde import integrity
from micrograde.integrity import rules, scan
from micrograde.spec import KIT_ROOT
from variants import VARIANTS

# Correct code in the styles real students use: none of it may be flagged.
STUDENT_STYLE = '''
import math, random, os, sys, time, json, pickle, gc, logging, warnings, itertools, functools, operator
import collections
from dataclasses import dataclass
from pathlib import Path
from typing import List
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
from graphviz import Digraph
from tqdm import tqdm

sys.setrecursionlimit(10000)
sys.path.append("..")
gc.disable()
random.seed(42)
np.random.seed(0)
plt.rcParams["figure.figsize"] = (8, 6)
matplotlib.use("Agg")
log = logging.getLogger(__name__)
HERE = os.path.dirname(os.path.abspath(__file__))
PLOTS = Path(__file__).parent / "plots"


class Value:
    __slots__ = ("data", "grad", "_prev", "_op", "_backward", "label")

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = set(_children)
        self._op = _op
        self._backward = lambda: None
        self.label = label

    def __repr__(self):
        return f"{type(self).__name__}(data={self.data}, grad={self.grad}) {self.__class__.__name__}"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    __radd__ = __add__

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")
        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def label_or_default(self):
        return getattr(self, "label", "") or ("leaf" if not hasattr(self, "_op") else self._op)


def draw_dot(root, fmt="svg"):
    dot = Digraph(format=fmt, graph_attr={"rankdir": "LR"})
    dot.node(name=str(id(root)), label="{ %s | data %.4f | grad %.4f }" % (root.label, root.data, root.grad),
             shape="record")
    dot.node(name="op", label="/")
    dot.attr(label="hypothesis")  # a word, not the library
    return dot


def plot_losses(history, path="losses.png"):
    os.makedirs("plots", exist_ok=True)
    fig, ax = plt.subplots()
    ax.plot(history)
    fig.savefig(os.path.join(HERE, path))
    plt.close(fig)
    with open("history.json", "w") as f:
        json.dump(history, f)
    with open(PLOTS / "model.pkl", "wb") as f:
        pickle.dump(history, f)


def train(model, xs, ys, epochs=100, lr=0.05):
    start = time.time()
    history = []
    for epoch in tqdm(range(epochs)):
        total = functools.reduce(operator.add, [(model(x) - y) ** 2 for x, y in zip(xs, ys)])
        history.append(total.data)
        if epoch % 10 == 0:
            print(f"epoch {epoch}: {total.data:.4f}", file=sys.stderr)
            sys.stdout.flush()
            warnings.warn("slow") if time.time() - start > 60 else None
    gc.collect()
    return history


if __name__ == "__main__":
    train(None, [], [])
'''

MORE_STUDENT_STYLE = '''
from __future__ import annotations
import copy, csv, warnings
from typing import TYPE_CHECKING
import numpy as np
import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
try:
    import graphviz
except ImportError:
    graphviz = None
if TYPE_CHECKING:
    from micrograd.engine import Value

__all__ = ["load", "Trainer"]
warnings.filterwarnings("ignore")
np.seterr(all="ignore")
plt.style.use("ggplot")
plt.ioff()
logging = None


def load(path="data/moons.csv"):
    if not os.path.exists(path):
        xs, ys = make_moons(n_samples=100, noise=0.1, random_state=0)
        return xs.tolist(), ys.tolist()
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [[float(a), float(b)] for a, b, _ in rows], [float(c) for *_, c in rows]


class Trainer:
    def __init__(self, model, lr=0.1):
        self.model, self.lr = model, lr
        self.best = copy.deepcopy(model)
        self.rng = np.random.default_rng(0)

    @property
    def params(self):
        return self.model.parameters()

    @staticmethod
    def order(nodes):
        return sorted(nodes, key=lambda n: id(n))

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad
        print(f"{self.model!r} {sys.getrecursionlimit()} {time.perf_counter():.2f}")
'''

NOTEBOOK_CELLS = [
    "%matplotlib inline\n!pip install graphviz\nimport math\nimport random",
    "from micrograd.engine import Value\nfrom micrograd.nn import MLP",
    "model = MLP(3, [4, 4, 1])\nprint(len(model.parameters()))\nmodel?",
    "import os\nos.environ['PATH'] += os.pathsep + 'C:/Program Files/Graphviz/bin'",
    "import importlib\nimport micrograd.engine\nimportlib.reload(micrograd.engine)",
    "%%bash\nls -la /proc",
    "%%time\nbreakpoint() if False else None",
]


def _rules(found) -> set:
    return {f.rule for f in found}


def _notebook(cells) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells]
                      + [{"cell_type": "markdown", "source": "import ctypes  # prose, not code"}],
                      "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.mark.parametrize("folder", [REFERENCE, TEMPLATE, KIT_ROOT / "tests" / "layouts" / "karpathy",
                                    KIT_ROOT / "tests" / "similarity" / "independent"],
                         ids=["reference", "template", "karpathy_layout", "independent_solution"])
def test_the_kits_own_submissions_have_no_findings(folder):
    assert integrity.scan_submission(folder).findings.to_list() == []


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_correct_variants_have_no_findings(variant, tmp_path):
    submission = patched_reference(tmp_path / "s", variant.patches)
    assert integrity.scan_submission(submission).findings.to_list() == []


def test_code_in_the_styles_students_write_has_no_findings(tmp_path):
    (tmp_path / "micrograd").mkdir()
    (tmp_path / "micrograd" / "everything.py").write_text(STUDENT_STYLE)
    (tmp_path / "micrograd" / "more.py").write_text(MORE_STUDENT_STYLE)
    (tmp_path / "work.ipynb").write_text(_notebook(NOTEBOOK_CELLS))
    assert integrity.scan_submission(tmp_path).findings.to_list() == []


@pytest.mark.parametrize("rule,code,why", INTEGRITY_SNIPPETS, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(INTEGRITY_SNIPPETS)])
def test_each_hostile_construct_is_flagged_with_its_rule(rule, code, why):
    found = scan.scan_python(code, "micrograd/engine.py")
    assert rule in _rules(found), f"{why}: got {[(f.rule, f.detail) for f in found]}"
    assert all(f.file == "micrograd/engine.py" and (f.line or 1) >= 1 for f in found)


def test_every_static_rule_has_a_hostile_example():
    static = {r for r in rules.names() if rules.kind(r) == "static"}
    assert static == {r for r, _, _ in INTEGRITY_SNIPPETS}


def test_a_finding_names_the_file_and_line(tmp_path):
    (tmp_path / "micrograd").mkdir()
    (tmp_path / "micrograd" / "nn.py").write_text("import random\n\n\nclass MLP:\n    def f(self, o, n):\n"
                                                  "        return getattr(o, n)\n")
    [f] = integrity.scan_submission(tmp_path).findings.to_list()
    assert (f["rule"], f["file"], f["line"]) == ("computed_attribute", "micrograd/nn.py", 6)


def test_notebook_code_cells_are_scanned_with_cell_and_line(tmp_path):
    (tmp_path / "nb.ipynb").write_text(_notebook(["import math", "x = 1\nimport ctypes",
                                                  "def mse_loss(predictions, targets):\n    return 0"]))
    [f] = integrity.scan_submission(tmp_path).findings.to_list()
    assert (f["rule"], f["file"], f["line"]) == ("ctypes", "nb.ipynb#cell-2", 2)


def test_code_the_worker_never_runs_is_no_evidence(tmp_path):
    """A notebook no contract name comes from is never run, nor are a graded notebook's
    skipped statements (a Colab Drive mount in a cell): neither is a finding."""
    (tmp_path / "plots.ipynb").write_text(_notebook(["import ctypes"]))
    (tmp_path / "lab.ipynb").write_text(_notebook([
        "from google.colab import drive\ndrive.mount('/content/drive')\nopen('/proc/self/status').read()",
        "def mse_loss(predictions, targets):\n    return 0"]))
    assert integrity.scan_submission(tmp_path).findings.to_list() == []


def test_the_scan_reads_the_module_the_worker_imports_after_every_rewrite(tmp_path):
    """A `?` line and a `%magic` line are blanked the same way for the worker and the scan: a
    script the converter repairs is scanned as repaired, where it runs."""
    (tmp_path / "lab.ipynb").write_text(_notebook(["obj?\nimport ctypes",
                                                   "def mse_loss(predictions, targets):\n    return 0"]))
    (tmp_path / "backprop.py").write_text("%matplotlib inline\nimport gc\n\ndef train(model, xs, ys):\n"
                                          "    return gc.get_objects()\n\ntrain(None, [], [])\n")
    found = {(f["rule"], f["file"], f["line"]) for f in integrity.scan_submission(tmp_path).findings.to_list()}
    assert ("ctypes", "lab.ipynb#cell-1", 2) in found
    assert any(rule == "gc_walk" and (file, line) == ("backprop.py", 5) for rule, file, line in found), found


def test_a_compiled_extension_and_an_oversized_file_are_unscannable(tmp_path):
    (tmp_path / "micrograd").mkdir()
    (tmp_path / "micrograd" / "engine.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    (tmp_path / "micrograd" / "big.py").write_text("class MLP:\n    pass\n" + "x = 1\n" * 300_000)
    found = integrity.scan_submission(tmp_path).findings.to_list()
    assert [(f["rule"], f["file"]) for f in found] == [
        ("unscannable", "micrograd/big.py"), ("unscannable", "micrograd/engine.cpython-311-x86_64-linux-gnu.so")]


def test_a_notebook_with_large_outputs_is_scanned_by_its_code(tmp_path):
    notebook = json.loads(_notebook(["import math\nx = math.pi"]))
    notebook["cells"][0]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                        "data": {"image/png": "iVBORw0KGgo" * 300_000}}]
    (tmp_path / "plots.ipynb").write_text(json.dumps(notebook))
    assert integrity.scan_submission(tmp_path).findings.to_list() == []


def test_the_scan_reads_source_as_python_decodes_it():
    """A coding cookie cannot hide code from the scan: it parses what Python would run."""
    hidden = b"# -*- coding: utf-7 -*-\nx = 1 #+AAo-import ctypes\n"
    assert "ctypes" in _rules(scan.scan_python(hidden, "m.py"))


def test_a_long_expression_does_not_stop_the_scan():
    long_sum = "x = " + " + ".join(["'a'"] * 400) + "\nimport ctypes\n"
    assert "ctypes" in _rules(scan.scan_python(long_sum, "m.py"))


def test_code_too_deep_to_parse_is_flagged_not_passed_over():
    """Python can compile what ast.parse cannot build: such a file is a finding, not clean."""
    deep = "x = " + " + ".join(["a"] * 20000) + "\nimport ctypes\n"
    assert _rules(scan.scan_python(deep, "m.py")) == {"unscannable"}


def test_a_file_python_cannot_compile_is_no_finding(tmp_path):
    """A syntax error cannot run: a half-written scratch file is not flagged."""
    (tmp_path / "scratch.py").write_text("def broken(:\n    pass\n")
    (tmp_path / "nul.py").write_bytes(b"x = 1\0\n")
    assert integrity.scan_submission(tmp_path).findings.to_list() == []


def test_the_scan_never_runs_the_code(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "m.py").write_text(f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n")
    integrity.scan_submission(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("case", cases(str(KIT_ROOT)), ids=lambda c: c.name)
def test_the_hostile_corpus_is_flagged_with_exactly_its_rules(case, tmp_path):
    patches = [(m, old, new.replace("__DROP__", str(tmp_path / "drop"))) for m, old, new in case.patches]
    submission = patched_reference(tmp_path / "s", patches, case.files)
    found = {f["rule"] for f in integrity.scan_submission(submission).findings.to_list()}
    assert found == {r for r in case.flags if rules.kind(r) == "static"}


@pytest.mark.parametrize("code,rule", [(SNOOP_SECRETS, "proc_filesystem"), (HANDOFF_DROP, "ctypes"),
                                       (HANDOFF_PICKUP, "ctypes")], ids=["snoop", "handoff_drop", "handoff_pickup"])
def test_the_batch_attacks_on_classmates_are_flagged_too(code, rule):
    assert rule in _rules(scan.scan_python(code, "micrograd/nn.py"))


def test_files_nothing_the_worker_runs_imports_are_no_evidence_but_a_module_shadowing_a_library_is(tmp_path):
    """The student's own tests, another project's script, an old draft: never imported by the
    graded code, never run. A `random.py` beside it runs whenever anything imports random."""
    submission = patched_reference(tmp_path / "s", [])
    (submission / "tests").mkdir()
    (submission / "tests" / "test_mine.py").write_text("import pytest\n\ndef test_x():\n    assert True\n")
    (submission / "data").mkdir()
    (submission / "data" / "fetch.py").write_text("import urllib.request\nurllib.request.urlopen('http://x')\n")
    assert integrity.scan_submission(submission).findings.to_list() == []
    (submission / "random.py").write_text("import ctypes\n")
    [f] = integrity.scan_submission(submission).findings.to_list()
    assert (f["rule"], f["file"]) == ("ctypes", "random.py")
