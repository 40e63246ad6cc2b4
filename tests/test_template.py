"""The student template: importable, and every contract callable is a stub naming its milestone."""
import inspect

import pytest
from micrograde.spec import load_contract


def stubs():
    """(module, member, method-or-None, milestone) for every callable the contract names."""
    for module in load_contract()["modules"]:
        for member in module["members"]:
            yield module["name"], member["name"], None, member["milestone"]
            for method in member.get("methods", []):
                yield module["name"], member["name"], method["name"], method["milestone"]


def stub_id(case):
    module, member, method, _ = case
    return f"{module}.{member}" + (f".{method}" if method else "")


@pytest.fixture(scope="module")
def template(load_micrograd):
    return load_micrograd("student_template")


def dummy_args(func, skip_self):
    params = list(inspect.signature(func).parameters.values())[1 if skip_self else 0 :]
    return [None for p in params if p.default is inspect.Parameter.empty]


@pytest.mark.parametrize("case", list(stubs()), ids=stub_id)
def test_stub_raises_not_implemented_naming_milestone(template, case):
    module_name, member_name, method_name, milestone = case
    obj = getattr(getattr(template, module_name), member_name)
    if method_name is not None:
        func = getattr(obj, method_name)
        task = f"{member_name}.{method_name}"
        call = lambda: func(None, *dummy_args(func, skip_self=True))  # noqa: E731 (self is never used)
    elif inspect.isclass(obj):
        if "__init__" not in vars(obj):
            # A base class with nothing to initialise (Module): only its methods are stubs.
            assert str(inspect.signature(obj)) == "()"
            obj()
            return
        task = f"{member_name}.__init__"
        call = lambda: obj(*dummy_args(obj, skip_self=False))  # noqa: E731
    else:
        task = member_name
        call = lambda: obj(*dummy_args(obj, skip_self=False))  # noqa: E731

    with pytest.raises(NotImplementedError) as excinfo:
        call()
    message = str(excinfo.value)
    assert message.startswith(f"{milestone.upper()}: "), message
    assert task in message, message


def test_every_stub_teaches_with_a_docstring(template):
    missing = []
    for module_name, member_name, method_name, _ in stubs():
        obj = getattr(getattr(template, module_name), member_name)
        if method_name:
            obj = getattr(obj, method_name)
        if not (inspect.getdoc(obj) or "").strip():
            missing.append(stub_id((module_name, member_name, method_name, None)))
    assert missing == []


def test_docstrings_cover_the_course_pitfalls(template):
    text = "\n".join(inspect.getsource(getattr(template, m["name"])) for m in load_contract()["modules"])
    for pitfall in ["+=", "__rsub__", "-a/b**2", "1 - t**2", "zero_grad", "linear", "biases", "all 0", "41"]:
        assert pitfall in text, f"template docstrings should mention {pitfall!r}"


def _imports(path) -> set[str]:
    """The module-level imports of a file, as "module:name" (functions import what they draw with)."""
    import ast

    return {f"{'.' * node.level}{node.module or ''}:{alias.name}" if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names}


def test_each_template_module_imports_what_the_solution_needs():
    # A stub that lacks `from .engine import Value` sends students hunting for where Value comes from.
    from micrograde.spec import KIT_ROOT

    for solution in sorted((KIT_ROOT / "reference" / "micrograd").glob("*.py")):
        stub = KIT_ROOT / "student_template" / "micrograd" / solution.name
        assert _imports(stub) >= _imports(solution) - {"math"}, solution.name
