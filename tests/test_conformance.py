"""The reference and the template both match specs/contract.json, and contract.json holds
every name the assignment's contract requires (the product's contract page, summarised in
docs/architecture.md, "The reference and the template"; it is not a file of this repository)."""
import inspect

import pytest
from micrograde import rubric
from micrograde.spec import KIT_ROOT, contract_attributes, contract_names, load_contract, signature_text

FOLDERS = ["reference", "student_template"]

# Every name the assignment's contract requires, with its milestone, written out by hand
# so that a name dropped from (or renamed in) contract.json fails here.
VALUE_M1 = ["__add__", "__radd__", "__mul__", "__rmul__", "__sub__", "__rsub__", "__neg__",
            "__truediv__", "__rtruediv__", "__pow__", "__repr__"]
CONTRACT_NAMES = {
    ("engine", "Value", "m1"),
    *(("engine", f"Value.{name}", "m1") for name in VALUE_M1),
    *(("engine", f"Value.{name}", "m2") for name in ["backward", "relu", "tanh"]),
    ("gradcheck", "numerical_grad", "m2"), ("gradcheck", "gradcheck", "m2"), ("viz", "draw_dot", "m2"),
    ("nn", "Module", "m3"), ("nn", "Module.parameters", "m3"), ("nn", "Module.zero_grad", "m3"),
    *(("nn", cls, "m3") for cls in ["Neuron", "Layer", "MLP"]),
    *(("nn", f"{cls}.{name}", "m3") for cls in ["Neuron", "Layer", "MLP"] for name in ["__call__", "parameters"]),
    ("losses", "mse_loss", "m4"),
    ("optim", "SGD", "m4"), ("optim", "SGD.zero_grad", "m4"), ("optim", "SGD.step", "m4"),
    ("train", "train", "m4"), ("train", "plot_losses", "m4"),
}


def entries():
    for module in load_contract()["modules"]:
        for member in module["members"]:
            yield module["name"], member["name"], member
            for method in member.get("methods", []):
                yield module["name"], f"{member['name']}.{method['name']}", method


def test_contract_json_matches_contract_md():
    assert set(contract_names()) == CONTRACT_NAMES
    assert len(contract_names()) == len(CONTRACT_NAMES)  # no duplicates


def test_contract_json_shape():
    contract = load_contract()
    assert contract["package"] == "micrograd"
    for module in contract["modules"]:
        assert module["milestone"] in rubric.MILESTONES
        for member in module["members"]:
            assert member["kind"] in {"class", "function"}
            assert member["milestone"] in rubric.MILESTONES
            assert member["signature"].startswith("(")
            for method in member.get("methods", []):
                assert method["signature"].startswith("(self")
    assert ("engine", "Value", "_prev", ("_children",)) in contract_attributes()
    assert {(m, c, a) for m, c, a, _ in contract_attributes()} >= {
        ("nn", "Neuron", "w"), ("nn", "Neuron", "b"), ("nn", "Layer", "neurons"), ("nn", "MLP", "layers")}


def test_spec_dir_is_in_the_kit():
    assert (KIT_ROOT / "specs" / "contract.json").is_file()
    assert (KIT_ROOT / "reference" / "micrograd").is_dir()


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("module_name, qualname, entry", list(entries()), ids=lambda x: x if isinstance(x, str) else "")
def test_name_exists_with_the_spec_signature(load_micrograd, folder, module_name, qualname, entry):
    obj = getattr(load_micrograd(folder), module_name)
    for part in qualname.split("."):
        assert hasattr(obj, part), f"{folder}: micrograd.{module_name} lacks {qualname}"
        obj = getattr(obj, part)
    if entry.get("kind") == "class":
        assert inspect.isclass(obj)
    else:
        assert callable(obj)
    assert signature_text(obj) == entry["signature"], f"{folder}: {module_name}.{qualname}"


def test_signature_text_hides_function_addresses(load_micrograd):
    train = load_micrograd("reference").train.train
    assert "<function" in str(inspect.signature(train))
    assert signature_text(train).endswith("loss_fn=mse_loss)")


def public_modules(folder):
    package = KIT_ROOT / folder / "micrograd"
    return {p.stem for p in package.glob("*.py") if not p.name.startswith("_")}


def test_reference_and_template_have_the_same_modules():
    expected = {module["name"] for module in load_contract()["modules"]}
    assert public_modules("reference") == expected
    assert public_modules("student_template") == expected


def test_reference_instances_have_the_contract_attributes(load_micrograd):
    mg = load_micrograd("reference")
    instances = {
        "Value": mg.engine.Value(1.0),
        "Neuron": mg.nn.Neuron(2),
        "Layer": mg.nn.Layer(2, 3),
        "MLP": mg.nn.MLP(2, [3, 1]),
    }
    for _, cls, attr, aliases in contract_attributes():
        assert any(hasattr(instances[cls], name) for name in (attr, *aliases)), f"{cls}.{attr}"
