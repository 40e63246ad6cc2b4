"""What a property check draws, named without Hypothesis.

A grader's body draws `Programs(ops=...)` from its `data` (examples/property.py). Most
runs answer those draws from the example cache and never import Hypothesis; the
Hypothesis strategy behind a `Programs` is built (`strategies.strategy_of`) only when
something must really be drawn. Its repr is the cache's record of what was drawn: the arguments,
in canonical order, whatever iterable the caller passed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .program import ALL_OPS, BINARY_OPS, KNOWN_OPS


@dataclass(frozen=True)
class Programs:
    """Well-conditioned random programs (strategies.programs has the rules): at most 4
    inputs, `ops` the op kinds they may use, `left_constants` the binary kinds that may
    have a number on their left (``2 - x`` needs ``__rsub__``)."""
    min_inputs: int = 1
    max_inputs: int = 4
    min_ops: int = 1
    max_ops: int = 8
    ops: tuple = ALL_OPS
    left_constants: tuple = BINARY_OPS

    def __post_init__(self):
        unknown = set(self.ops) - set(KNOWN_OPS)
        kinds = tuple(k for k in KNOWN_OPS if k in set(self.ops))  # canonical, hash-independent order
        if unknown or not kinds:
            raise ValueError(f"ops must be a non-empty subset of {KNOWN_OPS}, got {self.ops!r}")
        if not 1 <= self.min_inputs <= self.max_inputs <= 4:
            raise ValueError("need 1 <= min_inputs <= max_inputs <= 4")
        if not 0 <= self.min_ops <= self.max_ops:
            raise ValueError("need 0 <= min_ops <= max_ops")
        object.__setattr__(self, "ops", kinds)
        object.__setattr__(self, "left_constants", tuple(k for k in BINARY_OPS if k in set(self.left_constants)))
