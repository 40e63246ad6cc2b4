"""Probes: small named procedures the worker runs on the submission, returning plain data.

They run inside the untrusted worker. They compute nothing the grader believes about
correctness: the grader compares their answers with values it computes itself.
"""
from . import autograd, engine, nn, registry, training  # noqa: F401  (register the probes)
