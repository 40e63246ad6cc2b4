"""The worker: a fresh, limited, unprivileged Python process that runs submission code.

`client.Sandbox` is the grader's side; `main` is what runs inside the worker process.
Nothing here that runs in the grader imports submission code.
"""
# The grader's side is imported when first asked for, not with the package: the worker
# process imports this package too, and every kit module it holds is more code within the
# submission's reach and more bindings its watch compares on every request (watch.py).
_EXPORTS = {"Sandbox": "client", "worker_kind": "client", "Limits": "limits"}

__all__ = ["Sandbox", "Limits", "worker_kind"]


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
