"""Running a program on the submission and judging it against the trusted evaluation."""
from .checks import expect_all_close, node_names, show
from .probes import names as probes
from .trusted.programs import evaluate, gradients
from .trusted.tolerances import EXACT_ABS, EXACT_REL


def expect_program(sandbox, program, probe=probes.ENGINE_LOCAL_PROGRAM, what="the graph", grads=True, rel=EXACT_REL, abs_=EXACT_ABS):
    """The submission's forward values and gradients of every node equal the trusted ones."""
    answer = sandbox.call(probe, what, program=program.to_json())
    names = node_names(program)
    context = show(program)
    # The feedback starts with `what`, so a student sees which operation (and method) is at fault.
    expect_all_close(answer["values"], evaluate(program), f"{what}: forward value of", names, context, rel, abs_)
    if grads:
        expect_all_close(answer["grads"], gradients(program), f"{what}: gradient d(out)/d", names, context, rel, abs_)
    return answer
