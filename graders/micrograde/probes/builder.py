"""Rebuild a program with the submission's ``Value`` class.

This module runs inside the untrusted worker, so it imports nothing but the
standard library: in particular nothing of exprgen/ or trusted/, which the worker must
never load.
Every operation is written with the plain Python operator, so a constant on the
left really goes through ``int.__sub__`` -> ``Value.__rsub__`` and so on, exactly
as in the student-facing source from ``Program.to_source()``.
"""

import json

_APPLY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a: -a,
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    # A course's extra operations (the grader's catalogue is trusted/operations.py).
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "sigmoid": lambda a: a.sigmoid(),
    "sqrt": lambda a: a.sqrt(),
    "abs": lambda a: abs(a),
    "pow_value": lambda a, b: a**b,
}


def build(program_json, Value) -> list:
    """All nodes of the program as ``Value`` objects, inputs first, output last.

    ``program_json`` is ``Program.to_json()`` or its JSON text.
    """
    if isinstance(program_json, str):
        program_json = json.loads(program_json)
    nodes = [Value(x) for x in program_json["inputs"]]
    for kind, args in program_json["ops"]:
        # ("n", i) becomes the Value of node i; ("c", x) stays the plain number x.
        operands = [nodes[v] if tag == "n" else v for tag, v in args]
        result = _APPLY[kind](*operands)
        if result is None:  # else every later check would say "NoneType has no _prev"
            raise TypeError(f"the {kind} operation returned None: does the method end with `return out`?")
        nodes.append(result)
    return nodes
