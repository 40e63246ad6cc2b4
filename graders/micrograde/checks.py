"""Comparisons for grader tests, with feedback a student can act on at midnight."""
from .exprgen import Op, Program
from .trusted.tolerances import EXACT_ABS, EXACT_REL, close


def fmt(x) -> str:
    # Ten significant digits: enough to see a bug, few enough that reports stay identical run to run.
    return f"{x:.10g}" if isinstance(x, float) else str(x)


def expect_close(actual, expected, what: str, rel=EXACT_REL, abs_=EXACT_ABS, context: str = "") -> None:
    if not close(actual, expected, rel, abs_):
        got = actual if isinstance(actual, float) else f"a {actual.strip('<>')}, not a number"
        message = f"{what}: expected {fmt(expected)}, got {fmt(got)}"
        raise AssertionError(message + (f"\n{context}" if context else ""))


def expect_all_close(actual: list, expected: list, what: str, names=None, context: str = "", rel=EXACT_REL, abs_=EXACT_ABS):
    if not isinstance(actual, list) or len(actual) != len(expected):
        raise AssertionError(f"{what}: expected {len(expected)} numbers, got {actual!r:.200}")
    for i, (a, e) in enumerate(zip(actual, expected)):
        label = names[i] if names else f"[{i}]"
        expect_close(a, e, f"{what} {label}", rel, abs_, context)


def single_op(kind: str, *args, inputs=(2.0, -3.0)) -> Program:
    """A one-operation program; args are node indices (int) or ("c", constant)."""
    encoded = tuple(a if isinstance(a, tuple) else ("n", a) for a in args)
    return Program(inputs=tuple(inputs), ops=(Op(kind, encoded),))


def node_names(program: Program) -> list[str]:
    n = len(program.inputs)
    return [f"x{i}" for i in range(n)] + [f"n{i}" for i in range(n, program.n_nodes)]


def show(program: Program) -> str:
    return "the program:\n" + program.to_source()
