"""Milestone 3 probes: Neuron, Layer, MLP and their parameters."""
import random

from . import lookup
from . import names
from .table import probe
from .values import data_of, grad_of, set_data, set_grad


def _make(cls_name, *args, activation=None):
    cls = lookup.name("nn", cls_name)
    return cls(*args) if activation is None else cls(*args, activation=activation)


def _same_objects(xs, ys) -> bool:
    return len(xs) == len(ys) and all(x is y for x, y in zip(xs, ys))


def _set_parameters(model, values) -> int:
    params = list(model.parameters())
    for p, v in zip(params, values):
        set_data(p, v)
    return len(params)


def _scalar(out):
    """One output as a number; a one-element list is unwrapped so other checks stay independent."""
    if isinstance(out, (list, tuple)) and len(out) == 1:
        out = out[0]
    return data_of(out)


@probe(names.NN_NEURON_INIT)
def neuron_init(nin, seed):
    random.seed(seed)
    n = _make("Neuron", nin)
    params = list(n.parameters())
    return {
        "w": [data_of(w) for w in n.w],
        "b": data_of(n.b),
        "parameters": [data_of(p) for p in params],
        "parameters_are_w_then_b": _same_objects(params, list(n.w) + [n.b]),
    }


@probe(names.NN_NEURON_FORWARD)
def neuron_forward(nin, activation, w, b, xs, seed):
    random.seed(seed)
    n = _make("Neuron", nin, activation=activation)
    for wi, value in zip(n.w, w):
        set_data(wi, value)
    set_data(n.b, b)
    return [_scalar(n(x)) for x in xs]


@probe(names.NN_LAYER)
def layer(nin, nout, x, seed):
    random.seed(seed)
    lay = _make("Layer", nin, nout)
    Value = lookup.name("engine", "Value")
    out = lay(x)
    return {
        "returns": "value" if isinstance(out, Value) else type(out).__name__,
        "length": len(out) if isinstance(out, (list, tuple)) else None,
    }


@probe(names.NN_LAYER_PARAMETERS)
def layer_parameters(nin, nout, seed):
    """No forward pass: a bug in tanh or __mul__ must not cost the parameter checks."""
    random.seed(seed)
    lay = _make("Layer", nin, nout)
    params = list(lay.parameters())
    by_neuron = [p for n in lay.neurons for p in n.parameters()]
    return {"parameter_count": len(params), "parameters_in_neuron_order": _same_objects(params, by_neuron)}


@probe(names.NN_MLP_PARAMETERS)
def mlp_parameters(nin, nouts, seed):
    random.seed(seed)
    mlp = _make("MLP", nin, nouts)
    params = list(mlp.parameters())
    by_layer = [p for lay in mlp.layers for p in lay.parameters()]
    return {
        "count": len(params),
        "distinct": len({id(p) for p in params}),
        "parameters_in_layer_order": _same_objects(params, by_layer),
    }


@probe(names.NN_MLP_FORWARD)
def mlp_forward(nin, nouts, activation, parameters, xs, seed):
    random.seed(seed)
    mlp = _make("MLP", nin, nouts, activation=activation)
    count = _set_parameters(mlp, parameters)
    return {"count": count, "outputs": [_scalar(mlp(x)) for x in xs]}


@probe(names.NN_ZERO_GRAD)
def zero_grad(nin, nouts, seed):
    random.seed(seed)
    mlp = _make("MLP", nin, nouts)
    params = list(mlp.parameters())
    for p in params:
        set_grad(p, 1.5)
    lookup.method(type(mlp), "zero_grad")
    mlp.zero_grad()
    return [grad_of(p) for p in params]
