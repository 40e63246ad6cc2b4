"""Hypothesis strategies for well-conditioned random expression programs.

Conditioning is by construction, never by rejection: each op is drawn, then checked
against the rules below at the nominal inputs AND at every input nudged by
``PERTURBATION`` (100x the grader's finite-difference step, trusted/finite_difference.py). If it fails, the first
valid substitute is used instead: for pow the same exponent on another base, then other
exponents; for binary ops other arithmetic on the same operands; then a unary op on
the first operand; finally a fixed op on input x0 that satisfies every rule for any
input. Substitutes always stay inside the requested op set. Because every draw is
valid whatever the shrinker does to it, shrinking never hits an invalid program.

Shrinking direction: fewer inputs and ops, kinds towards ``add``, the first operand
towards the previous node (a chain, so every op matters), the other operand towards
x0, constants towards small ints on the right, exponents towards 2.
"""

from __future__ import annotations

import functools
import math

from hypothesis import strategies as st

from ..trusted.programs import apply_op
from ..trusted.operations import CATALOGUE
from .drawn import Programs
from .program import ALL_OPS, BINARY_OPS, EXTRA_BINARY_OPS, EXTRA_UNARY_OPS, UNARY_OPS, Op, Program

MAX_ABS = 1e3  # every node value, at every checked point
MIN_DENOMINATOR = 0.5  # |b| in a / b
MIN_POW_BASE = 0.5  # |base| for negative exponents; base itself for fractional ones
RELU_MARGIN = 1e-2  # |x| in relu(x): keeps finite differences off the kink
TANH_MAX = 4.0  # |x| in tanh(x): beyond it tanh' < 1.4e-3 and hides upstream bugs
INPUT_MAGNITUDE = (0.1, 3.0)  # inputs are sign * U[0.1, 3]
INT_CONSTANTS = (1, 2, 3, -1, -2, -3)  # no 0: it would make degenerate nodes
FLOAT_CONSTANT_MAGNITUDE = (0.5, 3.0)
EXPONENTS = (2, 3, -1, -2, 0.5, 1.5, -0.5)
POW_VALUE_EXPONENT = 2.5  # |b| in a ** b with a Value exponent
PERTURBATION = 1e-4  # relative input nudge at which every rule must still hold


def programs(min_inputs=1, max_inputs=4, min_ops=1, max_ops=8, ops=ALL_OPS, left_constants=BINARY_OPS):
    """Strategy for well-conditioned ``Program`` objects.

    ``ops`` restricts the op kinds (any iterable of names from ``KNOWN_OPS``: the default
    assignment's, and a course's extra operations); generated programs, substitutes
    included, use only those kinds. With an extra operation, include "add": the last
    substitute of an operation with a restricted domain (log, sqrt) is an addition. ``left_constants``: the binary
    kinds that may have a number on their left (``2 - x`` needs ``__rsub__``); the others
    always get theirs on the right. (A property check's body draws ``drawn.Programs`` with
    the same arguments, which names this strategy without importing Hypothesis.)
    """
    return strategy_of(Programs(min_inputs, max_inputs, min_ops, max_ops, tuple(ops), tuple(left_constants)))


@functools.lru_cache(maxsize=256)
def strategy_of(arguments: Programs):
    # One strategy object per set of arguments: constructing a strategy validates it, and
    # Hypothesis computes its repr once per object.
    return _programs(arguments.min_inputs, arguments.max_inputs, arguments.min_ops, arguments.max_ops,
                     arguments.ops, arguments.left_constants)


@st.composite
def _programs(draw, min_inputs, max_inputs, min_ops, max_ops, kinds, left=BINARY_OPS):
    n_inputs = draw(_integers(min_inputs, max_inputs))
    inputs = [draw(_INPUT_VALUES) for _ in range(n_inputs)]
    # One tuple of values per node: its value at each checked point.
    points = _check_points(inputs)
    vectors = [tuple(p[i] for p in points) for i in range(n_inputs)]
    ops = []
    for _ in range(draw(_integers(min_ops, max_ops))):
        op = _draw_op(draw, n_inputs, len(vectors), kinds, left)
        for candidate in _candidates(op, kinds, len(vectors), left):
            vector = _checked_vector(candidate, vectors)
            if vector is not None:
                break
        else:  # the last candidate is valid by construction; this would be a bug here
            raise AssertionError(f"no well-conditioned substitute for {op}")
        ops.append(candidate)
        vectors.append(vector)
    return Program(tuple(inputs), tuple(ops))


def _signed(magnitude):
    return st.tuples(st.booleans(), magnitude).map(lambda t: -t[1] if t[0] else t[1])


# Strategies are built once: constructing (and validating) them afresh on every draw
# tripled the cost of generating, and shrinking, a program.
_INPUT_VALUES = _signed(st.floats(*INPUT_MAGNITUDE))
# Ints first, so constants shrink to small ints; floats make the Value code handle
# both (and `to_json` keep them apart).
_CONSTANTS = st.one_of(
    st.sampled_from(INT_CONSTANTS), _signed(st.floats(*FLOAT_CONSTANT_MAGNITUDE))
)
_EXPONENTS = st.sampled_from(EXPONENTS)
_BOOLEANS = st.booleans()


@functools.lru_cache(maxsize=None)
def _integers(lo, hi):
    return st.integers(lo, hi)


@functools.lru_cache(maxsize=None)
def _kinds(kinds):
    return st.sampled_from(kinds)


def _draw_op(draw, n_inputs, n_nodes, kinds, left=BINARY_OPS) -> Op:
    """Draw one op over nodes 0..n_nodes-1, before any conditioning."""
    kind = draw(_kinds(kinds))
    # First operand: usually the previous node, which chains the program so the output
    # depends on most ops; now and then any earlier node, which starts a side branch
    # that a later op can join.
    if draw(_integers(0, 7)) == 7:
        first = ("n", draw(_integers(0, n_nodes - 1)))
    else:
        first = ("n", n_nodes - 1)
    if kind in UNARY_OPS or kind in EXTRA_UNARY_OPS:
        return Op(kind, (first,))
    if kind in EXTRA_BINARY_OPS:
        return Op(kind, (first, ("n", _draw_other_node(draw, n_inputs, n_nodes))))
    if kind == "pow":
        return Op(kind, (first, ("c", draw(_EXPONENTS))))
    # Binary: the other operand is a node or a constant on either side (left reaches
    # __radd__, __rsub__, ...).
    # Half node-node, a quarter each constant right and left; shrinks to constant right.
    if draw(_BOOLEANS):
        return Op(kind, (first, ("n", _draw_other_node(draw, n_inputs, n_nodes))))
    c = ("c", draw(_CONSTANTS))
    on_left = draw(_BOOLEANS)  # drawn whatever `left` says, so the draws stay aligned
    return Op(kind, (c, first) if on_left and kind in left else (first, c))


def _draw_other_node(draw, n_inputs, n_nodes) -> int:
    # Usually (2 in 3) an intermediate node (the previous one included, giving n3 * n3):
    # it is already used by the chain, so this makes it feed two live consumers, the
    # DAG case that catches `=` instead of `+=` and a topological sort without a
    # visited set. Choosing uniformly over all nodes would mostly pick inputs.
    if n_nodes > n_inputs and draw(_integers(0, 2)) > 0:
        return draw(_integers(n_inputs, n_nodes - 1))
    return draw(_integers(0, n_inputs - 1))


def _candidates(op: Op, kinds, n_nodes, left=BINARY_OPS):
    """The drawn op, then substitutes from most to least similar, all within ``kinds``."""
    yield op
    first = next(a for a in op.args if a[0] == "n")
    if op.kind == "pow":
        # The same exponent on another base, nearest first, so that fractional and
        # negative exponents stay as common as drawn; then other exponents on the
        # drawn base.
        exponent = op.args[1]
        for i in reversed(range(n_nodes)):
            if i != first[1]:
                yield Op("pow", (("n", i), exponent))
        i = EXPONENTS.index(exponent[1])
        for k in EXPONENTS[i + 1 :] + EXPONENTS[:i]:
            yield Op("pow", (first, ("c", k)))
    if op.kind in BINARY_OPS:
        # Same operands, other arithmetic: a bad a / b becomes a * b, an overflowing
        # a * b becomes a + b, ... (constant stays on its side).
        for k in ("mul", "add", "sub", "div"):
            if k in kinds and k != op.kind and (op.args[0][0] == "n" or k in left):
                yield Op(k, op.args)
    if op.kind in CATALOGUE:
        # The same operation on another node that is inside its domain, nearest first.
        for i in reversed(range(n_nodes)):
            if i != first[1]:
                yield Op(op.kind, (("n", i),) + op.args[1:])
    for k in UNARY_OPS:
        if k in kinds and k != op.kind:
            yield Op(k, (first,))
    if "pow" in kinds:
        yield Op("pow", (first, ("c", 2)))  # square: no domain restriction
    if op.kind in CATALOGUE and "add" in kinds:
        yield _safe_op("add")
    yield _safe_op(op.kind)


def _safe_op(kind: str) -> Op:
    """An op of ``kind`` on input x0 that satisfies every rule for any valid input.

    |x0| is in [0.1, 3], so x0 +- 2, 2 * x0, x0 / 2, x0 ** 2, -x0 stay far below
    MAX_ABS, relu(x0) is >= 0.1 from the kink, and tanh(x0) is within TANH_MAX.
    """
    x0 = ("n", 0)
    if kind in UNARY_OPS or kind in EXTRA_UNARY_OPS:
        return Op(kind, (x0,))
    if kind in EXTRA_BINARY_OPS:
        return Op(kind, (x0, x0))
    return Op(kind, (x0, ("c", 2)))  # binary ops and pow


def _check_points(inputs) -> list:
    """The nominal inputs, then each input nudged up and down by PERTURBATION."""
    points = [list(inputs)]
    for i, x in enumerate(inputs):
        h = PERTURBATION * max(1.0, abs(x))
        for step in (h, -h):
            p = list(inputs)
            p[i] = x + step
            points.append(p)
    return points


def _checked_vector(op: Op, vectors):
    """The op's value at every check point, or None if any rule fails at any of them."""
    n_points = len(vectors[0])
    columns = [vectors[a[1]] if a[0] == "n" else (a[1],) * n_points for a in op.args]
    out = []
    for args in zip(*columns):
        if not _domain_ok(op.kind, args):
            return None
        try:
            v = apply_op(op.kind, *args)
        except (ArithmeticError, ValueError):
            return None
        if not (math.isfinite(v) and abs(v) <= MAX_ABS):
            return None
        out.append(v)
    return tuple(out)


def _domain_ok(kind: str, args) -> bool:
    if kind == "div":
        return abs(args[1]) >= MIN_DENOMINATOR
    if kind == "pow":
        base, k = args
        if isinstance(k, float):  # fractional exponents: positive bases only
            return base >= MIN_POW_BASE
        return k >= 0 or abs(base) >= MIN_POW_BASE
    if kind == "relu":
        return abs(args[0]) >= RELU_MARGIN
    if kind == "tanh":
        return abs(args[0]) <= TANH_MAX
    if kind in CATALOGUE:  # the catalogue's domain for the first operand; an exponent stays small
        op = CATALOGUE[kind]
        return (op.low <= args[0] <= op.high and abs(args[0]) >= op.away_from_zero
                and all(abs(b) <= POW_VALUE_EXPONENT for b in args[1:]))
    return True
