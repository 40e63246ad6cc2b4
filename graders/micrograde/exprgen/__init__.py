"""Random expression programs for the property tests: representation, trusted
evaluation, the worker-side builder and the Hypothesis strategies.

Everything is loaded on first use. The worker imports only ``build``; the grader's
exact evaluator (``program``) must never be in its memory, where a submission could
find it and answer the checks from it.
"""
import importlib

_HOME = {
    "build": "builder",
    "programs": "strategies",
    **{name: "program" for name in ("ALL_OPS", "BINARY_OPS", "UNARY_OPS", "Op", "Program",
                                    "central_difference", "close_enough", "evaluate", "gradients")},
}

__all__ = sorted(_HOME)


def __getattr__(name):
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
