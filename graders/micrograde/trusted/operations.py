"""The catalogue of extra operations a course may add to Value: the grader's own forward
value and local derivatives of each, and the domain where both are well-conditioned.

Plain floats, like the rest of trusted/: never loaded in the worker. The names are those
of specs/course.schema.json's operations.extra (tests/test_course.py keeps them equal).
"""
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    name: str          # as course.toml spells it
    method: str        # the Value method a student writes
    call: str          # how a program calls it, {0} and {1} the operands
    summary: str       # one line for `course init` and the template's docstring
    derivative: str    # the local derivative, in words for the template
    arity: int
    forward: callable
    grads: callable    # (operands, output) -> local derivatives, one per operand
    low: float         # the operands' domain, [low, high], away from kinks and poles
    high: float
    away_from_zero: float = 0.0  # |x| at least this (abs: away from its kink)


def _sigmoid(x):
    # Never overflows: exp of a non-positive number only.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


CATALOGUE = {op.name: op for op in (
    Operation("exp", "exp", "{0}.exp()", "e to the power of the value", "d/dx exp(x) = exp(x): the output itself",
              1, math.exp, lambda a, out: (out,), -3.0, 3.0),
    Operation("log", "log", "{0}.log()", "natural logarithm (of a positive value)", "d/dx log(x) = 1 / x",
              1, math.log, lambda a, out: (1.0 / a[0],), 0.2, 5.0),
    Operation("sigmoid", "sigmoid", "{0}.sigmoid()", "1 / (1 + exp(-x)), squashing into (0, 1)",
              "d/dx sigmoid(x) = s * (1 - s), with s the output", 1, _sigmoid, lambda a, out: (out * (1.0 - out),),
              -4.0, 4.0),
    Operation("abs", "__abs__", "abs({0})", "absolute value: abs(v)", "d/dx |x| = 1 for x > 0, -1 for x < 0",
              1, abs, lambda a, out: (1.0 if a[0] > 0 else -1.0,), -3.0, 3.0, away_from_zero=0.1),
    Operation("sqrt", "sqrt", "{0}.sqrt()", "square root (of a positive value)", "d/dx sqrt(x) = 1 / (2 sqrt(x))",
              1, math.sqrt, lambda a, out: (0.5 / out,), 0.2, 5.0),
    Operation("pow_value", "__pow__", "{0} ** {1}", "a ** b where the exponent b is a Value too (a > 0)",
              "d/da a**b = b * a**(b - 1); d/db a**b = a**b * log(a)", 2, lambda a, b: a ** b,
              lambda a, out: (a[1] * a[0] ** (a[1] - 1), out * math.log(a[0])), 0.3, 3.0),
)}


def forward(name: str, *operands: float) -> float:
    return CATALOGUE[name].forward(*operands)


def local_gradients(name: str, *operands: float) -> tuple:
    op = CATALOGUE[name]
    return op.grads(operands, op.forward(*operands))


def in_domain(name: str, x: float) -> float:
    """`x` moved into the operation's domain: clamped, and pushed off a kink at 0."""
    op = CATALOGUE[name]
    x = min(max(x, op.low), op.high)
    if abs(x) < op.away_from_zero:
        x = op.away_from_zero if x >= 0 else -op.away_from_zero
    return x
