"""Milestone 2 probes: backward(), tanh and relu, gradient checking, draw_dot."""
import math

from . import lookup
from .builder import _APPLY as APPLY
from .engine import DUNDER, built, outputs, value_class
from . import names
from .table import probe
from .values import data_of, grad_of, plain, run_local_backward, set_grad, topological_order


@probe(names.AUTOGRAD_BACKWARD_PROGRAM)
def backward_program(program, nudged=()):
    """`nudged`: programs whose output alone is wanted too (finite differences of the
    submission's own forward pass), after the backward pass: one round trip for both."""
    nodes = built(program)
    lookup.method(type(nodes[-1]), "backward")
    nodes[-1].backward()
    return {"values": [data_of(n) for n in nodes], "grads": [grad_of(n) for n in nodes], "nudged": outputs(nudged)}


@probe(names.AUTOGRAD_DOUBLE_BACKWARD)
def double_backward(a, b, kind="mul"):
    """`kind`: a binary operator that works (the grader picks it from the capability profile)."""
    Value = value_class()
    lookup.method(Value, "backward")
    lookup.method(Value, DUNDER[kind])
    x, y = Value(a), Value(b)
    out = APPLY[kind](x, y)
    out.backward()
    out.backward()
    return {"a": grad_of(x), "b": grad_of(y)}


@probe(names.AUTOGRAD_ACTIVATION)
def activation(kind, x):
    """Forward value and local gradient of relu or tanh, through the node's own _backward."""
    Value = value_class()
    lookup.method(Value, kind)
    v = Value(x)
    out = getattr(v, kind)()
    run_local_backward(out)
    return {"data": data_of(out), "grad": grad_of(v)}


@probe(names.AUTOGRAD_UPSTREAM)
def upstream(kind, x, grad):
    """The gradient relu or tanh passes down when its output's gradient is `grad`: set
    directly on the output, so no other operation (`*`) takes part in the check."""
    Value = value_class()
    lookup.method(Value, kind)
    v = Value(x)
    out = getattr(v, kind)()
    set_grad(out, grad)
    lookup.attribute(out, "_backward")()
    return grad_of(v)


@probe(names.AUTOGRAD_DEEP_CHAIN)
def deep_chain(depth, kind="mul", constant=1.0):
    Value = value_class()
    lookup.method(Value, "backward")
    lookup.method(Value, DUNDER[kind])
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = APPLY[kind](y, constant)
    try:
        y.backward()
    except RecursionError:
        return {"recursion_error": True}
    return {"recursion_error": False, "grad": grad_of(x)}


def _smooth(vs):
    # Forward only, through plain floats: numerical_grad needs nothing else of the engine.
    Value = value_class()
    x = [lookup.get(v, "data") for v in vs]
    return Value(math.sin(x[0]) * x[1] + x[0] * x[0] * x[-1] + math.exp(0.3 * x[-1]))


def _product_plus_square(vs):
    return vs[0] * vs[1] + vs[0] ** 2


# One operator each: gradcheck's own check runs on one the submission has right (the
# grader picks it from the capability profile), so a wrong __mul__ is not charged here.
_ONE_OPERATOR = {kind: (lambda vs, _apply=APPLY[kind]: _apply(vs[0], vs[1])) for kind in ("mul", "add", "sub", "div")}


def _scaled_backward(factor):
    """f(a, b) = a * b whose _backward is off by `factor`: gradcheck must notice."""
    def f(vs):
        a, b = vs[0], vs[1]
        out = a * b

        def off_by_factor():
            get, put = lookup.get, lookup.put
            put(a, "grad", get(a, "grad") + factor * get(b, "data") * get(out, "grad"))
            put(b, "grad", get(b, "grad") + factor * get(a, "data") * get(out, "grad"))

        setattr(out, lookup.own("_backward"), off_by_factor)
        return out
    return f


FUNCTIONS = {
    "smooth": _smooth,
    "product_plus_square": _product_plus_square,
    **{f"one_{kind}": f for kind, f in _ONE_OPERATOR.items()},
    "doubled_backward": _scaled_backward(2.0),
    "one_percent_off_backward": _scaled_backward(1.01),
}


@probe(names.GRADCHECK_NUMERICAL_GRAD)
def numerical_grad(function, xs, h=None):
    fn = lookup.name("gradcheck", "numerical_grad")
    result = fn(FUNCTIONS[function], list(xs)) if h is None else fn(FUNCTIONS[function], list(xs), h=h)
    return [plain(g) for g in list(result)]


@probe(names.GRADCHECK_GRADCHECK)
def gradcheck(function, xs):
    fn = lookup.name("gradcheck", "gradcheck")
    result = fn(FUNCTIONS[function], list(xs))
    # numpy.bool_ (from np.allclose) is a truth value too, though not a bool subclass.
    if isinstance(result, bool) or type(result).__name__ == "bool_":
        return bool(result)
    return f"<{type(result).__name__}: {result!r:.60}>"


@probe(names.VIZ_DRAW_DOT)
def draw_dot(program):
    fn = lookup.name("viz", "draw_dot")
    nodes = built(program)
    root = nodes[-1]
    graph = topological_order(root)
    # Distinct gradients, set by hand (not by backward()), so labels can be checked for them.
    for i, node in enumerate(nodes):
        set_grad(node, 0.125 * (i + 1))
    dot = fn(root)
    source = getattr(dot, "source", None)
    if not isinstance(source, str):
        return {"source": None, "type": type(dot).__name__}
    return {
        "source": source[:200_000],
        "values": len(graph),
        "operations": sum(1 for n in graph if lookup.children(n)),
        "operands": sum(len(lookup.children(n)) for n in graph),
        "data": [data_of(n) for n in nodes],
        "grads": [grad_of(n) for n in nodes],
    }
