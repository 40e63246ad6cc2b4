"""Random expression programs for the property tests: representation, trusted
evaluation, the worker-side builder and the Hypothesis strategies.

``strategies`` is imported lazily: the worker imports ``build`` from this package and
should not pay for (or depend on) importing Hypothesis.
"""

from .build import build
from .program import (
    ALL_OPS,
    BINARY_OPS,
    UNARY_OPS,
    Op,
    Program,
    central_difference,
    close_enough,
    evaluate,
    gradients,
)

__all__ = [
    "ALL_OPS",
    "BINARY_OPS",
    "UNARY_OPS",
    "Op",
    "Program",
    "build",
    "central_difference",
    "close_enough",
    "evaluate",
    "gradients",
    "programs",
]


def __getattr__(name):
    if name == "programs":
        from .strategies import programs

        return programs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
