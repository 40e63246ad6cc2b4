"""Random expression programs for the property tests: the data type (`program`), what a
check draws (`drawn.Programs`) and the Hypothesis strategies that draw well-conditioned
ones (`strategies`, imported on first use of `programs`: most gradings never need Hypothesis).

Grader side only: the worker rebuilds a program from its JSON with `probes/builder.py`,
and the grader evaluates it with `trusted/programs.py`.
"""
from .drawn import Programs
from .program import ALL_OPS, BINARY_OPS, UNARY_OPS, Op, Program, single_op

__all__ = ["ALL_OPS", "BINARY_OPS", "UNARY_OPS", "Op", "Program", "Programs", "programs", "single_op"]


def __getattr__(name):
    if name == "programs":
        from .strategies import programs

        return programs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
