"""The probe behind instructor checks (micrograde/checks.py): run an instructor's function
on the submission, inside the worker, and return its plain-data answer.

The function arrives as source text, already refused on the grader's side if it imports
the kit; it is refused here again before it is compiled, so nothing but the worker's own
copy of the submission and the contract's names are within its reach. It is called with
one argument, `mg`, whose attributes are the submission's contract names (mg.Value,
mg.MLP, mg.mse_loss ...), found like every other probe finds them (probes/lookup.py).
"""
from ..errors import KitError
from . import lookup, names
from .kit_imports import kit_imports
from .table import probe

class Contract:
    """`mg.Value`, `mg.MLP`, ...: the submission's contract names, looked up on first use."""

    def __getattr__(self, attr):
        for module, qualname, _ in lookup.spec.contract_names():
            if qualname == attr:
                return lookup.name(module, attr)
        raise AttributeError(f"{attr} is not a name of specs/contract.json")


@probe(names.COURSE_RUN)
def run(source: str, function: str, args: dict):
    if kit_imports(source):
        raise KitError(f"an instructor check may not import the kit in the worker ({', '.join(kit_imports(source))})")
    namespace = {"__name__": "instructor_check"}
    exec(compile(source, f"<instructor check {function}>", "exec"), namespace)
    return namespace[function](Contract(), **args)
