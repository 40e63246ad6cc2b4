"""Finding contract names in the submission, inside the worker, and describing failures.

A name the submission lacks becomes `Missing` (status "missing"), and so does a
template stub still raising NotImplementedError: both mean "not written yet".
"""
import importlib
import os
import sys
import traceback

PACKAGE = "micrograd"
_state = {"submission": "", "poisoned": {}, "progress": lambda event: None}


class Missing(Exception):
    def __init__(self, name: str, detail: str = ""):
        super().__init__(name)
        self.name = name
        self.detail = detail


def configure(submission: str, poisoned: dict, progress) -> None:
    _state.update(submission=submission, poisoned=poisoned, progress=progress)


def module(name: str):
    full = f"{PACKAGE}.{name}"
    if full in sys.modules:
        return sys.modules[full]
    if full in _state["poisoned"]:
        raise ImportHung(_state["poisoned"][full])
    _state["progress"]({"event": "importing", "module": full})
    try:
        mod = importlib.import_module(full)
    except ModuleNotFoundError as e:
        if e.name in (PACKAGE, full):
            raise Missing(full, f"no module {full} (expected micrograd/{name}.py)") from None
        raise
    finally:
        _state["progress"]({"event": "imported", "module": full})
    return mod


def name(module_name: str, attr: str):
    mod = module(module_name)
    try:
        return getattr(mod, attr)
    except AttributeError:
        raise Missing(f"{PACKAGE}.{module_name}.{attr}") from None


def method(cls, attr: str):
    if getattr(cls, attr, None) is None:
        raise Missing(f"{cls.__module__}.{cls.__qualname__}.{attr}")
    return getattr(cls, attr)


def attribute(obj, attr: str):
    """An attribute the contract needs on an object (a Value's `_backward`), wherever it is set."""
    if getattr(obj, attr, None) is None:
        cls = type(obj)
        raise Missing(f"{cls.__module__}.{cls.__qualname__}.{attr}")
    return getattr(obj, attr)


def children(value) -> list:
    """The operands a Value was made from: `_prev`, or its alias `_children`."""
    for attr in ("_prev", "_children"):
        if hasattr(value, attr):
            return list(getattr(value, attr))
    raise Missing("micrograd.engine.Value._prev", "a Value must record its operands in _prev (or _children)")


class ImportHung(Exception):
    """An import that hung or crashed a previous worker: not tried again."""


def _own_frames(tb) -> list[str]:
    root = _state["submission"].rstrip(os.sep) + os.sep
    lines = []
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(root):
            where = frame.filename[len(root):]
            lines.append(f'  File "{where}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    return lines[-20:]


def describe(exc: BaseException) -> dict:
    """An exception as plain data; the traceback keeps only the submission's own frames."""
    try:
        message = str(exc)
    except BaseException:
        message = "<the exception's message could not be read>"
    return {
        "type": type(exc).__name__,
        "message": message[:2000],
        "traceback": _own_frames(exc.__traceback__),
    }
