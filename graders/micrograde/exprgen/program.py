"""Straight-line expression programs: the data type, its JSON and its Python source.

A program is plain data so that it can cross the trust boundary as JSON: the grader
generates it, evaluates it itself (``trusted/programs.py``), and sends only the JSON to
the worker, which rebuilds it with the submission's ``Value`` (``probes/builder.py``).

Node numbering: nodes ``0 .. len(inputs)-1`` are the inputs, node ``len(inputs)+j`` is
the result of ``ops[j]``, and the output is the last node. An argument is ``("n", i)``
(node ``i``, which must be an earlier node) or ``("c", number)`` (a constant).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ..trusted.operations import CATALOGUE

BINARY_OPS = ("add", "sub", "mul", "div")
UNARY_OPS = ("neg", "relu", "tanh")
# The canonical order. Strategies draw kinds in this order, so Hypothesis shrinks
# towards the front (add) and the order never depends on set iteration.
ALL_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh")
# A course's extra operations (trusted/operations.py: the catalogue), drawn only where a
# check asks for them: the default assignment's programs never contain one.
EXTRA_UNARY_OPS = tuple(name for name, op in CATALOGUE.items() if op.arity == 1)
EXTRA_BINARY_OPS = tuple(name for name, op in CATALOGUE.items() if op.arity == 2)  # both operands nodes
KNOWN_OPS = ALL_OPS + EXTRA_UNARY_OPS + EXTRA_BINARY_OPS

_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


@dataclass(frozen=True)
class Op:
    kind: str
    args: tuple  # of ("n", node_index) or ("c", int | float)


@dataclass(frozen=True)
class Program:
    inputs: tuple  # of float, 1 to 4 of them
    ops: tuple  # of Op

    def __post_init__(self):
        # Normalise lists (e.g. from hand-written programs) to tuples, so programs
        # are hashable and compare equal however they were made, then reject
        # anything malformed here rather than deep inside a grader.
        if not all(_is_constant(x) for x in self.inputs):
            raise ValueError(f"inputs must be finite ints/floats, not {self.inputs!r}")
        object.__setattr__(self, "inputs", tuple(float(x) for x in self.inputs))
        try:
            ops = tuple(Op(op.kind, tuple(tuple(a) for a in op.args)) for op in self.ops)
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"malformed ops: {exc}") from None
        object.__setattr__(self, "ops", ops)
        _validate(self)

    def __deepcopy__(self, memo):
        return self  # immutable (frozen, of tuples of numbers and strings): nothing to copy

    @property
    def n_nodes(self) -> int:
        return len(self.inputs) + len(self.ops)

    def node_names(self) -> list[str]:
        """x0, x1, ... for the inputs, then n<i> for each op's node, as in ``to_source``."""
        n = len(self.inputs)
        return [f"x{i}" for i in range(n)] + [f"n{i}" for i in range(n, self.n_nodes)]

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict:
        """Plain lists and dicts; ``json.dumps`` keeps ``2`` and ``2.0`` apart."""
        return {
            "inputs": list(self.inputs),
            "ops": [[op.kind, [list(a) for a in op.args]] for op in self.ops],
        }

    @classmethod
    def from_json(cls, data) -> "Program":
        """Inverse of ``to_json``; also accepts the JSON text itself."""
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, dict) or set(data) != {"inputs", "ops"}:
            raise ValueError("a program is a dict with exactly 'inputs' and 'ops'")
        try:
            ops = tuple(Op(kind, tuple(tuple(a) for a in args)) for kind, args in data["ops"])
            inputs = tuple(data["inputs"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed program: {exc}") from None
        return cls(inputs, ops)

    # ------------------------------------------------------------------ source
    def to_source(self, value_class: str = "Value") -> str:
        """Python a student can paste: one line per node, then ``out = ...``."""
        names = [f"x{i}" for i in range(len(self.inputs))]
        lines = [f"{names[i]} = {value_class}({x!r})" for i, x in enumerate(self.inputs)]
        for j, op in enumerate(self.ops):
            name = f"n{len(self.inputs) + j}"
            lines.append(f"{name} = {_op_source(op, names)}")
            names.append(name)
        lines.append(f"out = {names[-1]}")
        return "\n".join(lines) + "\n"


def _constant_source(c) -> str:
    # Parenthesise negatives so `n2 - (-3)` and `(-2) ** ...` read unambiguously.
    text = repr(c)
    return f"({text})" if c < 0 else text


def _op_source(op: Op, names: list) -> str:
    def arg(a):
        return names[a[1]] if a[0] == "n" else _constant_source(a[1])

    if op.kind in _SYMBOL:
        return f"{arg(op.args[0])} {_SYMBOL[op.kind]} {arg(op.args[1])}"
    if op.kind == "pow":
        return f"{arg(op.args[0])} ** {arg(op.args[1])}"
    if op.kind == "neg":
        return f"-{arg(op.args[0])}"
    if op.kind in CATALOGUE:
        return CATALOGUE[op.kind].call.format(*(arg(a) for a in op.args))
    return f"{arg(op.args[0])}.{op.kind}()"  # relu, tanh


# ---------------------------------------------------------------------- validation
def _is_constant(x) -> bool:
    # bool is an int subclass, but True as a constant is surely a bug.
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _validate(p: Program) -> None:
    if not 1 <= len(p.inputs) <= 4:
        raise ValueError(f"a program has 1 to 4 inputs, not {len(p.inputs)}")
    for j, op in enumerate(p.ops):
        where = f"ops[{j}] ({op.kind})"
        n_before = len(p.inputs) + j  # operands must be earlier nodes
        for a in op.args:
            if len(a) != 2 or a[0] not in ("n", "c"):
                raise ValueError(f"{where}: argument {a!r} is not ('n', i) or ('c', x)")
            if a[0] == "n" and not (type(a[1]) is int and 0 <= a[1] < n_before):
                raise ValueError(f"{where}: node {a[1]!r} is not an earlier node")
            if a[0] == "c" and not _is_constant(a[1]):
                raise ValueError(f"{where}: constant {a[1]!r} is not a finite int/float")
        tags = [a[0] for a in op.args]
        if op.kind in BINARY_OPS:
            ok = len(tags) == 2 and "n" in tags
        elif op.kind == "pow":
            ok = tags == ["n", "c"]
        elif op.kind in UNARY_OPS or op.kind in EXTRA_UNARY_OPS:
            ok = tags == ["n"]
        elif op.kind in EXTRA_BINARY_OPS:
            ok = tags == ["n", "n"]
        else:
            raise ValueError(f"{where}: unknown kind")
        if not ok:
            raise ValueError(f"{where}: wrong operands {tags}")


def single_op(kind: str, *args, inputs=(2.0, -3.0)) -> Program:
    """A one-operation program; args are node indices (int) or ("c", constant)."""
    encoded = tuple(a if isinstance(a, tuple) else ("n", a) for a in args)
    return Program(inputs=tuple(inputs), ops=(Op(kind, encoded),))
