"""A course's extra operations in the code students and graders see: the template's stubs
(shipped in a release), the contract's view (which method each operation asks for) and,
for the instructor's side only, the extended reference.

The kit generates all three from one catalogue (trusted/operations.py) and, for the
reference, from reference/operations.py (the model solution of each operation, never
shipped): a pack needs no code of its own to add an operation.
"""
import importlib.util
import shutil
from pathlib import Path

from ..errors import KitError
from ..spec import KIT_ROOT
from ..trusted.operations import CATALOGUE

ENGINE = Path("micrograd", "engine.py")


def stub(name: str) -> str:
    """The template's stub of one operation, in the template's voice."""
    op = CATALOGUE[name]
    args = "self, other" if op.arity == 2 else "self"
    call = op.call.format("self", "other")
    extra = ("\n        `other` may be a Value too (or still an int/float, as before): then both\n"
             "        operands get a gradient." if op.arity == 2 else "")
    return (f"\n    def {op.method}({args}):\n"
            f'        """{call}: {op.summary}.{extra}\n\n'
            f"        Make `out` with this Value as its operand and give it a _backward that adds the\n"
            f"        local derivative times out.grad, with +=:\n"
            f"            {op.derivative}\n"
            f"        Pitfall: the derivative is taken at this Value's data (or read from out.data);\n"
            f"        finite differences of your own forward pass must agree with it.\n"
            f'        """\n'
            f'        raise NotImplementedError("M1: implement Value.{op.method} ({name}, added by your course)")\n')


def _append_to_value(source: str, methods: str, where: Path) -> str:
    """`source` (an engine.py) with `methods` added at the end of its class Value."""
    lines = source.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("class Value")), None)
    if start is None:
        raise KitError(f"{where}: no `class Value` to add the course's operations to")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i][0].isspace()),
               len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:end]) + methods + "".join(lines[end:]) + ("" if lines[end:] else "")


def extend_template(folder: Path, operations) -> None:
    """Add the stubs of `operations` to folder/micrograd/engine.py (a copy of the template)."""
    if not operations:
        return
    engine = folder / ENGINE
    engine.write_text(_append_to_value(engine.read_text(encoding="utf-8"), "".join(stub(op) for op in operations),
                                       engine), encoding="utf-8")


def extended_reference(operations, dest: Path, reference: Path = KIT_ROOT / "reference") -> Path:
    """A copy of the reference at dest/ with the model solution of each operation added.
    Instructor-side only (tests, `micrograde course reference`): reference/ is never shipped."""
    spec = importlib.util.spec_from_file_location("reference_operations", reference / "operations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shutil.copytree(reference / "micrograd", dest / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    engine = dest / ENGINE
    methods = "".join(module.METHODS[op] for op in operations)
    engine.write_text(_append_to_value(engine.read_text(encoding="utf-8"), methods, engine), encoding="utf-8")
    return dest
