"""Random expression programs for the property tests: the data type (`program`) and the
Hypothesis strategies that draw well-conditioned ones (`strategies`).

Grader side only: the worker rebuilds a program from its JSON with `probes/builder.py`,
and the grader evaluates it with `trusted/programs.py`.
"""
from .program import ALL_OPS, BINARY_OPS, UNARY_OPS, Op, Program, single_op
from .strategies import programs

__all__ = ["ALL_OPS", "BINARY_OPS", "UNARY_OPS", "Op", "Program", "programs", "single_op"]
