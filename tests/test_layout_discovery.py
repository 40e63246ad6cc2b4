"""Layout discovery: each contract name found statically wherever the submission keeps it."""
import json

import nbformat
import pytest

from micrograde.layout import LayoutError, discover
from micrograde.layout.discover import contract_members

VALUE = '''class Value:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0.0
    def __add__(self, other):
        return Value(self.data + other.data)
    def __mul__(self, other):
        return Value(self.data * other.data)
    def backward(self):
        self.grad = 1.0
'''
NN = '''import random
{imp}

class Neuron:
    def __init__(self, nin, activation='tanh'):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]

class MLP:
    def __init__(self, nin, nouts):
        self.layers = []
'''


def write(root, files: dict):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def where(layout, key):
    entry = layout.names[key]
    return (entry["file"], entry["line"], entry["module"]) if entry["found"] else None


def test_flat_modules_are_imported_by_their_file_names(tmp_path):
    write(tmp_path, {"engine.py": VALUE, "nn.py": NN.format(imp="from engine import Value"), "demo.py": "import nn\n"})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("engine.py", 1, "engine")
    assert where(layout, "nn.MLP") == ("nn.py", 8, "nn")
    assert layout.paths == ["."]
    assert layout.names["viz.draw_dot"] == {"found": False, "looked_for": ["draw_dot", "draw_graph", "visualize_graph",
                                                                           "plot_graph"], "looked_in": "3 files"}


def test_a_renamed_package_with_relative_imports_keeps_its_package_name(tmp_path):
    write(tmp_path, {"nanograd/__init__.py": "from .engine import Value\n", "nanograd/engine.py": VALUE,
                     "nanograd/nn.py": NN.format(imp="from .engine import Value")})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("nanograd/engine.py", 1, "nanograd.engine")
    assert where(layout, "nn.Neuron")[2] == "nanograd.nn"


def test_a_nested_folder_without_init_files_is_named_as_the_submission_imports_it(tmp_path):
    write(tmp_path, {"neural_network/scratch/engine.py": VALUE,
                     "neural_network/scratch/nn.py": NN.format(imp="from neural_network.scratch.engine import Value")})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("neural_network/scratch/engine.py", 1, "neural_network.scratch.engine")
    assert layout.paths == ["."]


def test_a_folder_that_is_not_a_python_name_becomes_an_import_root(tmp_path):
    write(tmp_path, {"micrograd-py/micrograd/engine.py": VALUE,
                     "micrograd-py/micrograd/nn.py": NN.format(imp="from micrograd.engine import Value")})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("micrograd-py/micrograd/engine.py", 1, "micrograd.engine")
    assert layout.paths == ["micrograd-py"]


def test_one_module_per_class_named_after_it(tmp_path):
    write(tmp_path, {"src/Value.py": VALUE, "src/Neuron.py": NN.format(imp="from Value import Value").split("class MLP")[0],
                     "src/MLP.py": "from Neuron import Neuron\nclass MLP:\n    pass\n"})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("src/Value.py", 1, "Value")
    assert where(layout, "nn.MLP") == ("src/MLP.py", 2, "MLP")
    assert layout.paths == ["src"]


def test_a_virtualenv_is_skipped_whatever_its_name(tmp_path):
    write(tmp_path, {"engine.py": VALUE, "myenv/pyvenv.cfg": "home = /usr/bin\n",
                     "myenv/lib/python3.11/site-packages/micrograd/engine.py": VALUE,
                     "conda_stuff/lib/python3.10/site-packages/x/nn.py": NN.format(imp=""),
                     ".ipynb_checkpoints/engine-checkpoint.py": VALUE, "build/lib/engine.py": VALUE})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("engine.py", 1, "engine")
    assert "also_found" not in layout.names["engine.Value"]
    assert not layout.names["nn.Neuron"]["found"]
    skipped = layout.report()["skipped_folders"]
    assert "myenv (virtualenv)" in skipped and "conda_stuff (virtualenv)" in skipped
    assert layout.searched == ["engine.py"]


def test_tests_are_never_taken_for_the_code(tmp_path):
    write(tmp_path, {"tests/test_engine.py": VALUE, "test_value.py": VALUE, "conftest.py": VALUE,
                     "lib/engine.py": VALUE})
    assert where(discover(tmp_path), "engine.Value") == ("lib/engine.py", 1, "engine")


def test_the_value_the_rest_of_the_submission_imports_wins_and_the_report_says_so(tmp_path):
    full = VALUE + "    def tanh(self):\n        return self\n    def relu(self):\n        return self\n"
    write(tmp_path, {"a_scratch.py": full, "engine.py": VALUE, "nn.py": NN.format(imp="from engine import Value")})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("engine.py", 1, "engine")
    assert layout.names["engine.Value"]["also_found"] == ["a_scratch.py:1"]
    assert "imports" in layout.report()["rule"]


def test_without_importers_the_more_complete_value_wins_and_stubs_do_not_count(tmp_path):
    stubs = "class Value:\n" + "".join(f"    def {m}(self, other=None):\n        raise NotImplementedError\n"
                                       for m in ("__add__", "__mul__", "__pow__", "backward", "tanh", "relu"))
    write(tmp_path, {"a/engine.py": stubs, "b/engine_v2.py": VALUE})
    assert where(discover(tmp_path), "engine.Value")[0] == "b/engine_v2.py"


def test_the_contract_spelling_beats_an_alias_and_an_alias_is_found_alone(tmp_path):
    write(tmp_path, {"autograd.py": VALUE.replace("class Value", "class Scalar")})
    assert discover(tmp_path).names["engine.Value"]["name"] == "Scalar"
    write(tmp_path, {"engine.py": VALUE})
    assert discover(tmp_path).names["engine.Value"]["name"] == "Value"


@pytest.mark.parametrize("member", contract_members(), ids=lambda m: m.key)
def test_every_alias_the_spec_lists_is_accepted(tmp_path, member):
    for alias in member.aliases:
        text = f"class {alias}:\n    pass\n" if member.kind == "class" else f"def {alias}(*a):\n    pass\n"
        write(tmp_path / alias, {"code.py": text})
        entry = discover(tmp_path / alias).names[member.key]
        assert entry["found"] and entry["name"] == alias


def test_a_file_that_does_not_parse_is_listed_and_the_rest_is_still_found(tmp_path):
    write(tmp_path, {"engine.py": VALUE, "broken.py": "def f(:\n"})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value")[0] == "engine.py"
    assert layout.report()["unparsable"][0].startswith("broken.py, line 1: SyntaxError")


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# micrograd from scratch")] + [nbformat.v4.new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def test_a_notebook_contributes_its_definitions_and_lists_what_it_skipped(tmp_path):
    _notebook(tmp_path / "lecture.ipynb", [
        "!pip install graphviz\n%matplotlib inline\nimport math\nimport torch",
        "class Value:\n    def __init__(self, data):\n        self.data = data",
        "h = 0.0001\nx = Value(2.0)\ny = x * 2\nprint(x.data)\nACT = {'tanh': lambda v: v.tanh(), 'eps': -1e-8}",
        VALUE,
        "for k in range(20):\n    pass",
        "%%time\nx = 1",
    ])
    layout = discover(tmp_path)
    entry = layout.names["engine.Value"]
    assert (entry["file"], entry["cell"], entry["line"]) == ("lecture.ipynb", 4, 1)  # the later definition wins
    assert entry["module"] == "_micrograde_nb_lecture"
    [book] = layout.definitions_only
    assert [(s["cell"], s["why"]) for s in book["skipped"]] == [
        (1, "shell or magic line"), (1, "shell or magic line"), (3, "not a definition"), (3, "not a definition"),
        (3, "not a definition"),
        (5, "not a definition"), (6, "cell magic")]
    source = layout.generated["_micrograde_nb_lecture.py"]
    namespace = {}
    exec(compile(source, "generated", "exec"), namespace)  # the kit's own generated text, not submission code run
    assert namespace["h"] == 0.0001 and "x" not in namespace and "y" not in namespace and "Value" in namespace
    assert namespace["ACT"]["eps"] == -1e-8


def test_an_instructor_layout_file_overrides_the_choice(tmp_path):
    write(tmp_path, {"engine.py": VALUE, "course/autodiff.py": VALUE.replace("class Value", "class Node")})
    override = tmp_path.parent / "layout.json"
    override.write_text(json.dumps({"Value": "course/autodiff.py:Node"}))
    entry = discover(tmp_path, override).names["engine.Value"]
    assert (entry["file"], entry["name"], entry["override"]) == ("course/autodiff.py", "Node", True)
    override.write_text(json.dumps({"nn.MLP": "model.py"}))
    assert discover(tmp_path, override).names["nn.MLP"] == {"found": False, "looked_for": ["MLP", "MultiLayerPerceptron",
                                                                                           "NeuralNetwork", "Network"],
                                                            "looked_in": "model.py (the instructor's layout file)"}
    override.write_text(json.dumps({"Tensor2": "x.py"}))
    with pytest.raises(LayoutError, match="not in the contract"):
        discover(tmp_path, override)


def test_discovery_is_deterministic(tmp_path):
    write(tmp_path, {"a/engine.py": VALUE, "b/engine.py": VALUE, "c.py": VALUE})
    first = discover(tmp_path).report()
    assert first == discover(tmp_path).report()
    assert first["names"]["engine.Value"]["file"] == "c.py"


def test_a_script_nobody_imports_is_read_for_its_definitions_only(tmp_path):
    script = VALUE + "\nimport matplotlib.pyplot as plt\nx = Value(2.0)\nfor k in range(100):\n    x.backward()\nplt.show()\n"
    write(tmp_path, {"backprop.py": script})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("backprop.py", 1, "_micrograde_py_backprop")
    [entry] = layout.definitions_only
    assert [s["code"] for s in entry["skipped"]] == ["x = Value(2.0)", "for k in range(100):", "plt.show()"]
    assert "for k in range" not in layout.generated["_micrograde_py_backprop.py"]


def test_a_module_that_others_import_or_that_only_defines_is_imported_as_it_is(tmp_path):
    demo = VALUE + "\nprint(Value(1.0).data)\n"
    write(tmp_path, {"engine.py": demo, "nn.py": NN.format(imp="from engine import Value"),
                     "guarded.py": "def train(m):\n    return []\n\nif __name__ == '__main__':\n    train(None)\n"})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value")[2] == "engine"
    assert where(layout, "train.train")[2] == "guarded"
    assert not layout.definitions_only


def test_a_file_whose_name_cannot_be_imported_is_still_graded(tmp_path):
    write(tmp_path, {"micrograd-engine.py": VALUE})
    assert where(discover(tmp_path), "engine.Value") == ("micrograd-engine.py", 1, "_micrograde_py_micrograd_engine")


def test_modules_that_import_each_other_by_bare_name_keep_that_name(tmp_path):
    # main.py calls the folder a package; the code inside imports its neighbours flatly.
    write(tmp_path, {"core/engine.py": VALUE, "core/nn.py": NN.format(imp="from engine import Value"),
                     "main.py": "from core.nn import MLP\n"})
    layout = discover(tmp_path)
    assert where(layout, "engine.Value") == ("core/engine.py", 1, "engine")
    assert where(layout, "nn.MLP") == ("core/nn.py", 8, "nn")
    assert layout.paths == ["core"]


def test_a_packages_module_is_imported_as_it_is_even_if_it_does_work_at_import(tmp_path):
    write(tmp_path, {"micrograd/__init__.py": "", "micrograd/viz.py": "import time\ntime.sleep(1)\n\n"
                                                                      "def draw_dot(root):\n    pass\n"})
    layout = discover(tmp_path)
    assert where(layout, "viz.draw_dot") == ("micrograd/viz.py", 4, "micrograd.viz")
    assert not layout.definitions_only


def test_only_scripts_and_notebooks_that_hold_contract_names_are_listed(tmp_path):
    write(tmp_path, {"engine.py": VALUE, "setup.py": "from setuptools import setup\nsetup(name='x')\n"})
    _notebook(tmp_path / "plots.ipynb", ["import matplotlib.pyplot as plt", "plt.plot([1, 2])"])
    layout = discover(tmp_path)
    assert not layout.definitions_only and not layout.generated
