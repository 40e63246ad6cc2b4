"""The grader's own evaluation of an expression program: forward values and exact gradients.

Plain floats, written independently of any Value class: this is what the submission's
answers are judged against, so it lives in trusted/ and is never loaded in the worker.
"""
from __future__ import annotations

import math

from . import operations
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # exprgen's strategies import this module: no import back at run time
    from ..exprgen.program import Op, Program


def apply_op(kind: str, a, b=None) -> float:
    """Forward value of one operation on plain numbers (the generator uses it too)."""
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    if kind == "div":
        return a / b
    if kind == "pow":
        r = a**b
        if isinstance(r, complex):  # negative base, fractional exponent
            raise ValueError(f"{a!r} ** {b!r} is not real")
        return r
    if kind == "neg":
        return -a
    if kind == "relu":
        return a if a > 0 else 0.0
    if kind == "tanh":
        return math.tanh(a)
    if kind in operations.CATALOGUE:
        return operations.forward(kind, *((a,) if b is None else (a, b)))
    raise ValueError(f"unknown op kind {kind!r}")


def _arg_value(arg, values):
    return values[arg[1]] if arg[0] == "n" else arg[1]


def evaluate(program: Program, inputs=None) -> list:
    """Forward value of every node; ``inputs`` overrides the program's own inputs."""
    values = [float(x) for x in (program.inputs if inputs is None else inputs)]
    if len(values) != len(program.inputs):
        raise ValueError(f"expected {len(program.inputs)} inputs, got {len(values)}")
    for op in program.ops:
        values.append(float(apply_op(op.kind, *(_arg_value(a, values) for a in op.args))))
    return values


def _local_gradients(op: Op, args: list, out: float) -> list:
    """d(out)/d(arg) for each argument of one op (constants get one too, unused)."""
    kind = op.kind
    if kind == "add":
        return [1.0, 1.0]
    if kind == "sub":
        return [1.0, -1.0]
    if kind == "mul":
        return [args[1], args[0]]
    if kind == "div":
        a, b = args
        return [1.0 / b, -a / (b * b)]
    if kind == "pow":
        x, k = args
        return [k * x ** (k - 1), 0.0]
    if kind == "neg":
        return [-1.0]
    if kind == "relu":
        return [1.0 if out > 0 else 0.0]
    if kind == "tanh":
        return [1.0 - out * out]
    if kind in operations.CATALOGUE:
        return list(operations.local_gradients(kind, *args))
    raise ValueError(f"unknown op kind {kind!r}")


def gradients(program: Program, inputs=None) -> list:
    """Exact d(out)/d(node) for every node, by reverse accumulation.

    Accumulates with += over every use, so a node used twice (``n3 * n3``) or by
    several ops gets the sum; nodes the output does not depend on get 0.0.
    """
    values = evaluate(program, inputs)
    grads = [0.0] * len(values)
    grads[-1] = 1.0
    n_in = len(program.inputs)
    for j in reversed(range(len(program.ops))):
        op = program.ops[j]
        upstream = grads[n_in + j]
        if upstream == 0.0:
            continue  # also skips dead code, whose local gradients are irrelevant
        args = [_arg_value(a, values) for a in op.args]
        for a, local in zip(op.args, _local_gradients(op, args, values[n_in + j])):
            if a[0] == "n":
                grads[a[1]] += local * upstream
    return grads
