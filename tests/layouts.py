"""Real-looking submission layouts, each built the way students actually lay out code.

The correct ones are the reference's own code moved into another layout (so a lost point
can only be the grader's fault); the others are written here in the styles of real
micrograd repositories. tests/test_layouts.py grades each and asserts its verdict.
"""
import json
import re
import shutil
from pathlib import Path

import nbformat

from corpus import REFERENCE

HERE = Path(__file__).parent / "layouts"
MODULES = ("engine", "gradcheck", "viz", "nn", "losses", "optim", "train")
MISSING_LIBRARY = "micrograde_layout_no_such_library"


def _module(name: str) -> str:
    return (REFERENCE / "micrograd" / f"{name}.py").read_text()


def _absolute(text: str, package: str) -> str:
    """`from .engine import Value` -> `from <package>.engine import Value` (flat: `from engine ...`)."""
    prefix = f"{package}." if package else ""
    return re.sub(r"^from \.(\w+) import", lambda m: f"from {prefix}{m.group(1)} import", text, flags=re.M)


def flat_modules(dest: Path) -> Path:
    """engine.py, nn.py, ... side by side at the top, importing each other by file name,
    plus the script and README that usually sit next to them."""
    dest.mkdir(parents=True)
    for name in MODULES:
        (dest / f"{name}.py").write_text(_absolute(_module(name), ""))
    (dest / "main.py").write_text("from nn import MLP\nfrom train import train\n\nif __name__ == '__main__':\n"
                                  "    model = MLP(2, [4, 1])\n    print(train(model, [[1, 2]], [1.0], epochs=5))\n")
    (dest / "README.md").write_text("# micrograd from scratch\n\nRun `python main.py`.\n")
    return dest


def renamed_package(dest: Path) -> Path:
    """The package under another name (nanograd/), relative imports, a setup.py."""
    shutil.copytree(REFERENCE / "micrograd", dest / "nanograd", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "setup.py").write_text("from setuptools import setup, find_packages\n\n"
                                   "setup(name='nanograd', version='0.1', packages=find_packages())\n")
    return dest


def nested_folder(dest: Path) -> Path:
    """projects/micrograd_rebuild/core/ without any __init__.py, absolute `from core.x import`."""
    core = dest / "projects" / "micrograd_rebuild" / "core"
    core.mkdir(parents=True)
    for name in MODULES:
        (core / f"{name}.py").write_text(_absolute(_module(name), "core"))
    (dest / "projects" / "micrograd_rebuild" / "demo.py").write_text(
        "from core.nn import MLP\n\nmodel = MLP(3, [4, 4, 1])\nprint(len(model.parameters()))\n")
    return dest


def _strip_imports(text: str) -> str:
    return re.sub(r"^from \.\w+ import .*$", "", text, flags=re.M)


def notebook(dest: Path) -> Path:
    """One notebook: the engine and the network in cells, between the lecture's usual
    pip installs, magics, experiments, a training loop and plots."""
    cells = [
        "!pip install graphviz\n%matplotlib inline",
        "import math\nimport random\nimport numpy as np\nimport matplotlib.pyplot as plt\nimport torch  # to compare",
        "def f(x):\n    return 3*x**2 - 4*x + 5\n\nxs = np.arange(-5, 5, 0.25)\nplt.plot(xs, f(xs))",
        _strip_imports(_module("engine")),
        "a = Value(2.0)\nb = Value(-3.0)\nc = a * b\nc.backward()\na.grad, b.grad",
        _strip_imports(_module("gradcheck")),
        _strip_imports(_module("viz")),
        "draw_dot(c)",
        _strip_imports(_module("nn")),
        _strip_imports(_module("losses")),
        _strip_imports(_module("optim")),
        _strip_imports(_module("train")),
        "xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]\nys = [1.0, -1.0, -1.0, 1.0]\n"
        "n = MLP(3, [4, 4, 1])\nfor k in range(20):\n    ypred = [n(x) for x in xs]\n"
        "    loss = mse_loss(ypred, ys)\n    n.zero_grad()\n    loss.backward()\n"
        "    for p in n.parameters():\n        p.data += -0.1 * p.grad\n    print(k, loss.data)",
        "%%time\nhistory = train(n, xs, ys, epochs=50)",
        "plt.plot(history)",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Building micrograd")] + [nbformat.v4.new_code_cell(c) for c in cells]
    dest.mkdir(parents=True)
    nbformat.write(nb, str(dest / "micrograd_lecture.ipynb"))
    (dest / ".ipynb_checkpoints").mkdir()
    (dest / ".ipynb_checkpoints" / "micrograd_lecture-checkpoint.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return dest


def single_script(dest: Path) -> Path:
    """Everything in one backprop.py that also trains and plots when run (no main guard)."""
    parts = ["import math\nimport random\n\nimport matplotlib.pyplot as plt\n"]
    parts += [_strip_imports(_module(name)) for name in ("engine", "gradcheck", "viz", "nn", "losses", "optim", "train")]
    parts.append("xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5]]\nys = [1.0, -1.0]\nmodel = MLP(3, [4, 4, 1])\n"
                 "history = train(model, xs, ys, epochs=200)\nplt.plot(history)\nplt.show()\n")
    dest.mkdir(parents=True)
    (dest / "backprop.py").write_text("\n\n".join(parts))
    return dest


def numpy_scalars(dest: Path) -> Path:
    """A correct engine that keeps numpy scalars in .data and computes tanh with np.tanh."""
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    engine = dest / "micrograd" / "engine.py"
    text = engine.read_text().replace("import math\n", "import math\n\nimport numpy as np\n", 1)
    text = text.replace("        self.data = float(data)\n", "        self.data = np.float64(data)\n", 1)
    text = text.replace("        t = math.tanh(self.data)\n", "        t = np.tanh(self.data)\n", 1)
    assert text.count("np.") == 2
    engine.write_text(text)
    return dest


def broken_init(dest: Path) -> Path:
    """An __init__ that imports the package's modules, then a library nobody installed:
    the package cannot be imported at all."""
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "micrograd" / "__init__.py").write_text(
        '"""micrograd with a few extras."""\nfrom .engine import Value\nfrom .nn import MLP, Layer, Neuron\n'
        f"import {MISSING_LIBRARY} as pd  # for the data loading helpers\n")
    return dest


def two_values(dest: Path) -> Path:
    """The real engine, plus an early attempt at Value left in scratch/ that nothing imports."""
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "scratch").mkdir()
    (dest / "scratch" / "value_first_try.py").write_text(
        "class Value:\n    def __init__(self, data):\n        self.data = data\n        self.grad = 0\n\n"
        "    def __add__(self, other):\n        return Value(self.data + other.data)\n")
    return dest


def with_virtualenv(dest: Path) -> Path:
    """The submission with its virtualenv inside, named like a project folder: the venv's
    site-packages holds somebody else's (broken) micrograd."""
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    site = dest / "mg-env" / "lib" / "python3.11" / "site-packages" / "micrograd"
    site.mkdir(parents=True)
    (dest / "mg-env" / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    (site / "__init__.py").write_text("")
    (site / "engine.py").write_text("class Value:\n    def __init__(self, data, _children=(), _op=''):\n"
                                    "        self.data = data\n        self.grad = 0\n")
    return dest


BUILDERS = {"flat_modules": flat_modules, "renamed_package": renamed_package, "nested_folder": nested_folder,
            "notebook": notebook, "single_script": single_script, "numpy_scalars": numpy_scalars, "broken_init": broken_init,
            "two_values": two_values, "with_virtualenv": with_virtualenv}
# Written out by hand (tests/layouts/<name>/): the original micrograd and the lecture's engine.
FIXED = {"karpathy": HERE / "karpathy", "tanh_only": HERE / "tanh_only"}


def build(kind: str, dest: Path) -> Path:
    return FIXED[kind] if kind in FIXED else BUILDERS[kind](Path(dest))
