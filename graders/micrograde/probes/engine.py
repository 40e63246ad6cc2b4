"""Milestone 1 probes: Value, its operators, and each node's own _backward."""
from . import lookup
from .builder import build
from . import names
from .table import probe
from .values import data_of, grad_of, run_local_backward, set_grad, topological_order


DUNDER = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "pow": "__pow__",
          "pow_value": "__pow__"}
REVERSED = {"add": "__radd__", "sub": "__rsub__", "mul": "__rmul__", "div": "__rtruediv__"}
UNARY = {"neg": "__neg__", "relu": "relu", "tanh": "tanh",
         "exp": "exp", "log": "log", "sigmoid": "sigmoid", "sqrt": "sqrt", "abs": "__abs__"}


def required_methods(program) -> list[str]:
    """The Value methods a program calls: a constant on the left needs the reflected operator."""
    needed = []
    for kind, args in program["ops"]:
        if kind in UNARY:
            needed.append(UNARY[kind])
        elif args[0][0] == "c":
            needed.append(REVERSED[kind])
        else:
            needed.append(DUNDER[kind])
    return sorted(set(needed))


def value_class():
    return lookup.name("engine", "Value")


def built(program):
    Value = value_class()
    for method in required_methods(program):
        lookup.method(Value, method)
    return build(program, Value)


@probe(names.ENGINE_OPERATIONS)
def operations(kinds):
    """Which of these operation kinds the submission's Value has a method for."""
    Value = value_class()
    needed = {**DUNDER, **UNARY}
    return [k for k in kinds if getattr(Value, needed[k], None) is not None]


@probe(names.ENGINE_CONSTRUCT)
def construct(data):
    v = value_class()(data)
    return {"data": data_of(v), "grad": grad_of(v), "spelled": _spelled(v, ("data", "grad"))}


def _spelled(v, roles) -> dict:
    """{role: the attribute the Value holds it under}, for the checks about names."""
    return {role: next((s for s in lookup.spellings(role) if hasattr(v, s)), None) for role in roles}


def outputs(programs) -> list:
    """The output value of each program: the forward pass alone (finite differences)."""
    return [data_of(built(p)[-1]) for p in programs]


@probe(names.ENGINE_LOCAL_PROGRAM)
def local_program(program, nudged=()):
    """`nudged`: as autograd.backward_program's."""
    nodes = built(program)
    lookup.attribute(nodes[-1], "_backward")  # often set per instance in __init__, not on the class
    run_local_backward(nodes[-1])
    return {"values": [data_of(n) for n in nodes], "grads": [grad_of(n) for n in nodes], "nudged": outputs(nudged)}


@probe(names.ENGINE_STRUCTURE)
def structure(program):
    nodes = built(program)
    index = {id(n): i for i, n in enumerate(nodes)}
    return {
        "spelled": {**_spelled(nodes[-1], ("_op",)), "_prev": lookup.operands(nodes[-1])[0]},
        "ops": [str(lookup.get(n, "_op", ""))[:40] for n in nodes],
        "children": [[index.get(id(c), -1) for c in lookup.children(n)] for n in nodes],
        "graph_size": len(topological_order(nodes[-1])),
    }


@probe(names.ENGINE_REPR)
def value_repr(data, grad):
    v = value_class()(data)
    set_grad(v, grad)
    return repr(v)[:300]
