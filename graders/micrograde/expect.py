"""What a grader test asserts, with feedback a student can act on at midnight: numbers
close to the grader's own (`expect_close`, `expect_all_close`), a whole program's values
and gradients (`expect_program`), and gradients that agree with finite differences of the
submission's own forward pass (`expect_finite_differences`)."""
from .exprgen.program import Program
from .probes import names as probes
from .trusted.finite_difference import differences, nudged_points
from .trusted.programs import evaluate, gradients
from .trusted.tolerances import EXACT_ABS, EXACT_REL, close, close_to_finite_difference


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


def show(program) -> str:
    """A program as feedback: the Python a student can paste to reproduce the check."""
    return "the program:\n" + program.to_source()


def expect_program(sandbox, program, probe=probes.ENGINE_LOCAL_PROGRAM, what="the graph", grads=True,
                   rel=EXACT_REL, abs_=EXACT_ABS):
    """The submission's forward values and gradients of every node equal the trusted ones."""
    answer = sandbox.call(probe, what, program=program.to_json())
    names = program.node_names()
    context = show(program)
    # The feedback starts with `what`, so a student sees which operation (and method) is at fault.
    expect_all_close(answer["values"], evaluate(program), f"{what}: forward value of", names, context, rel, abs_)
    if grads:
        expect_all_close(answer["grads"], gradients(program), f"{what}: gradient d(out)/d", names, context, rel, abs_)
    return answer


def expect_finite_differences(sandbox, program, probe: str, what: str, source: str) -> None:
    """d(out)/d(x_i) as the submission computes it (`probe`: each node's _backward, or
    backward()) equals the central difference of the submission's own forward pass at
    inputs the grader nudges. `source`: the gradients' origin, as the feedback names it."""
    # The forward passes at nudged inputs go with the gradients' probe: one round trip per example.
    shifted = [Program(inputs=tuple(p), ops=program.ops).to_json() for p in nudged_points(program.inputs)]
    answer = sandbox.call(probe, what, program=program.to_json(), nudged=shifted)
    f, outs = answer["values"][-1], answer["nudged"]
    for i, x in enumerate(program.inputs):
        g, up, down = answer["grads"][i], outs[2 * i], outs[2 * i + 1]
        if not all(isinstance(v, float) for v in (g, up, down, f)):
            raise AssertionError(f"{source} or the forward pass gave something that is not a number\n{show(program)}")
        [g_fd] = differences([up, down], [x])
        if not close_to_finite_difference(g, g_fd, f):
            raise AssertionError(f"d(out)/d(x{i}) from {source} is {fmt(g)}, but finite differences of your "
                                 f"own forward pass give {fmt(g_fd)}\n{show(program)}")
