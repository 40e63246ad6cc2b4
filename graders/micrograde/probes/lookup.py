"""Finding contract names in the submission, inside the worker, and describing failures.

A name the submission lacks becomes `Missing` (status "missing"), and so does a
template stub still raising NotImplementedError: both mean "not written yet".

Every name looked up here must be in specs/contract.json, the one list of what a
submission provides; read when the worker starts, before its view of the kit is hidden.
"""
import importlib
import os
import sys
import traceback

from .. import spec
from ..errors import ImportFailed, ImportHung, KitError, Missing, Unavailable
from ..worker.protocol import Imported, Importing

PACKAGE = spec.load_contract()["package"]
_MILESTONE = {(module, qualname): milestone for module, qualname, milestone in spec.contract_names()}
_MEMBERS = {qualname.rsplit(".", 1)[-1] for _, qualname, _ in spec.contract_names()}
_MEMBERS |= set(spec.course_operation_methods().values())  # a course's extra operations
_ATTRIBUTES = {attr: (attr, *aliases) for _, _, attr, aliases in spec.contract_attributes()}
_state = {"submission": "", "poisoned": {}, "progress": lambda event: None, "layout": None, "failed": {},
          "attributes": {}, "disabled": {}, "switched_off": set()}


def _in_contract(found: bool, what: str) -> None:
    if not found:
        raise KitError(f"{what} is not in specs/contract.json")


def configure(submission: str, poisoned: dict, progress, layout: dict | None = None, disabled: dict | None = None) -> None:
    """`layout`: where each contract name is ({"names": {"engine.Value": {"module", "attr"} or
    {"missing": why}}}), found by the grader's static discovery; None: the micrograd/ package.
    `disabled`: {capability: "engine.Value.tanh"}, methods that hang, switched off (_switch_off)."""
    _state.update(submission=submission, poisoned=poisoned, progress=progress, layout=layout, failed={},
                  attributes=dict((layout or {}).get("attributes") or {}),
                  disabled=dict(disabled or {}), switched_off=set())
    _state.pop("data_learned", None)


def _switch_off() -> None:
    """Each method that hangs gets, in its class, one that stops at once: every check that
    needs it says so instead of waiting out a timeout of its own. Done before any name is
    handed to a probe, so code that reaches the class any way (an MLP's Neurons) meets it."""
    for capability, method in _state["disabled"].items():
        if capability in _state["switched_off"]:
            continue
        owner, _, meth = str(method).rpartition(".")
        module_name, _, cls_name = owner.partition(".")
        try:
            cls = _resolve(module_name, cls_name)
        except (Exception, ImportHung):
            continue  # not there (yet): nothing can call it

        def off(*args, _capability=capability, **kwargs):
            raise Unavailable(_capability)

        try:
            setattr(cls, meth, off)
        except (AttributeError, TypeError):
            continue
        _state["switched_off"].add(capability)


def _in_submission(mod) -> bool:
    root = _state["submission"].rstrip(os.sep) + os.sep
    paths = [getattr(mod, "__file__", None) or ""] + list(getattr(mod, "__path__", None) or [])
    return any(isinstance(p, str) and p.startswith(root) for p in paths)


def _import_failure(dotted: str, exc: BaseException) -> dict:
    """One description of a failed import: what was raised, and where in the submission (its
    innermost own frame, or the line a SyntaxError names). It names the cause, not the module
    asked for, so every check that needs any module behind that line gets the same words."""
    error = describe(exc)
    root = _state["submission"].rstrip(os.sep) + os.sep
    where = ""
    if isinstance(exc, SyntaxError) and isinstance(exc.filename, str) and exc.filename.startswith(root):
        where = place(exc.filename[len(root):], exc.lineno).replace('"', "")
    else:
        lines = error["traceback"]
        frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
        if frames:
            last = frames[-1]
            where = lines[last].strip()[len('File "'):].replace('"', "").rsplit(", in ", 1)[0]
            if last + 1 < len(lines) and not lines[last + 1].startswith("  File "):
                where += f": {lines[last + 1].strip()}"
    return {"type": error["type"], "traceback": [],
            "message": f"{error['message']} (raised while importing {where or module_label(dotted)})"}


def import_module(dotted: str):
    """Import a submission module once. An import that raises is remembered, and every
    module it left half-imported is purged: later checks get the same error, never a half
    module (a package whose __init__ failed half-way leaves its submodules behind)."""
    if dotted in _state["failed"]:
        raise ImportFailed(_state["failed"][dotted])
    if dotted in sys.modules:
        return sys.modules[dotted]
    if dotted in _state["poisoned"]:
        raise ImportHung(_state["poisoned"][dotted])
    before = set(sys.modules)
    _state["progress"](Importing(dotted))
    try:
        return importlib.import_module(dotted)
    except BaseException as e:  # SystemExit and friends raised at import time count too
        for leftover in set(sys.modules) - before:
            if _in_submission(sys.modules[leftover]):
                del sys.modules[leftover]
        _state["failed"][dotted] = _import_failure(dotted, e)
        raise ImportFailed(_state["failed"][dotted]) from None
    finally:
        _state["progress"](Imported(dotted))


def module(name: str):
    """The module of the micrograd/ package (used when no layout is configured)."""
    full = f"{PACKAGE}.{name}"
    if full in sys.modules or full in _state["failed"] or full in _state["poisoned"]:
        return import_module(full)
    _state["progress"](Importing(full))
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as e:
        if e.name in (PACKAGE, full):
            raise Missing(full, f"no module {full} (expected micrograd/{name}.py)") from None
        raise
    finally:
        _state["progress"](Imported(full))


def name(module_name: str, attr: str):
    found = _resolve(module_name, attr)
    _switch_off()
    return found


def _resolve(module_name: str, attr: str):
    milestone = _MILESTONE.get((module_name, attr))
    _in_contract(milestone is not None, f"{module_name}.{attr}")
    layout = _state["layout"]
    if layout is None:
        mod = module(module_name)
        try:
            return getattr(mod, attr)
        except AttributeError:
            raise Missing(f"{PACKAGE}.{module_name}.{attr}", f"write it in micrograd/{module_name}.py "
                                                               f"(milestone {milestone.upper()})") from None
    where = layout["names"].get(f"{module_name}.{attr}") or {"missing": "not in the layout"}
    if "unparsable" in where:  # a parse error is the student's to fix, said as one: never "not found"
        raise ImportFailed({"type": where.get("error") or "SyntaxError", "message": where["unparsable"],
                            "traceback": []})
    if "missing" in where:
        raise Missing(attr, where["missing"])
    mod = import_module(where["module"])
    found = getattr(mod, where["attr"], None)
    if found is None:
        raise Missing(f"{where['attr']} (in {module_label(where['module'])})", "the grader found it in the source, but it is not "
                                                             "there once the module is imported")
    return found


def method(cls, attr: str):
    _in_contract(attr in _MEMBERS, f"method {attr}")
    if getattr(cls, attr, None) is None:
        raise Missing(qualified(cls, attr))
    return getattr(cls, attr)


def own(attr: str) -> str:
    """The submission's spelling of a contract attribute of the Value (`value` for `data`, `prev`
    for `_prev`), as discovery found it by what the constructor stores there; else the contract's."""
    return _state["attributes"].get(attr, attr)


def spellings(attr: str) -> tuple:
    """Where to look for a contract attribute: the submission's own spelling, then the contract's."""
    return tuple(dict.fromkeys((own(attr), *_ATTRIBUTES[attr])))


def get(obj, attr: str, default=None):
    """A contract attribute of a Value (`get(v, "data")`), under whichever accepted spelling it has."""
    for spelled in spellings(attr):
        found = getattr(obj, spelled, _ABSENT)
        if found is not _ABSENT:
            return found
    if attr == "data" and _learn_number_attribute(obj):
        return getattr(obj, own("data"), default)
    return default


_PROBE_NUMBER = 0.8125  # exact in binary: found again as it was given


def _learn_number_attribute(obj) -> bool:
    """Where a Value keeps its number when the source did not say (no __init__ to read): the
    one attribute of a fresh `Value(0.8125)` that holds 0.8125. Once per worker, on the class
    discovery chose, and only for its instances."""
    if "data_learned" in _state or isinstance(obj, (int, float, complex, str, bytes, type(None))):
        return _state.get("data_learned", False)
    try:
        cls = name("engine", "Value")
        if not isinstance(obj, cls):
            return False
        _state["data_learned"] = False
        fresh = cls(_PROBE_NUMBER)
        held = [k for k, v in (getattr(fresh, "__dict__", None) or {}).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and v == _PROBE_NUMBER]
    except Exception:  # noqa: BLE001 - no answer: the contract's spelling stays
        return False
    if len(held) == 1:
        _state["attributes"]["data"] = held[0]
        _state["data_learned"] = True
    return _state["data_learned"]


def put(obj, attr: str, value) -> None:
    """Set a contract attribute (`put(p, "data", 0.5)`) where the submission keeps it."""
    for spelled in spellings(attr):
        if hasattr(obj, spelled):
            setattr(obj, spelled, value)
            return
    setattr(obj, own(attr), value)


_ABSENT = object()


def attribute(obj, attr: str):
    """An attribute the contract needs on an object (a Value's `_backward`), wherever it is set."""
    _in_contract(attr in _ATTRIBUTES, f"attribute {attr}")
    found = get(obj, attr)
    if found is None:
        cls = type(obj)
        raise Missing(qualified(cls, attr))
    return found


def children(value) -> list:
    """The operands a Value was made from (see operands)."""
    return operands(value)[1]


def operands(value) -> tuple[str, list]:
    """(attribute, operands) of a Value: `_prev`, an alias the contract accepts, the attribute
    discovery found by role, or else the one collection of Values the object holds."""
    for spelled in spellings("_prev"):
        found = getattr(value, spelled, _ABSENT)
        if found is not _ABSENT:
            return spelled, list(found)
    held = {k: v for k, v in (getattr(value, "__dict__", None) or {}).items()
            if isinstance(v, (set, frozenset, tuple, list)) and all(isinstance(x, type(value)) for x in v)}
    filled = [k for k, v in held.items() if v]
    if len(filled) == 1 or (held and not filled):
        attr = filled[0] if filled else sorted(held)[0]
        return attr, list(held[attr])
    raise Missing("micrograd.engine.Value._prev",
                  f"a Value must record its operands in {' or '.join(_ATTRIBUTES['_prev'])}")


def _origin(rel: str):
    return ((_state["layout"] or {}).get("origins") or {}).get(rel.replace(os.sep, "/"))


def place(rel: str, line) -> str:
    """`"file", line N` in the student's coordinates: a generated module's line becomes the
    notebook's cell and line (or the script's own line) it was copied from."""
    origin = _origin(rel)
    if origin is None:
        return f'"{rel}", line {line}'
    cell, own = origin["lines"].get(str(line), (0, line))
    if origin["notebook"]:
        return f'"{origin["file"]}", cell {cell}, line {own}' if cell else f'"{origin["file"]}"'
    return f'"{origin["file"]}", line {own}'


def qualified(cls, attr: str) -> str:
    """`micrograd.engine.Value.tanh`; for a class of a notebook, `Value.tanh (in lab.ipynb)`."""
    label = module_label(cls.__module__)
    if label != cls.__module__:
        return f"{cls.__qualname__}.{attr} (in {label})"
    return f"{cls.__module__}.{cls.__qualname__}.{attr}"


def module_label(module_name: str) -> str:
    """A module as the student knows it: the file a generated module was made from."""
    for rel, origin in ((_state["layout"] or {}).get("origins") or {}).items():
        if rel.rsplit("/", 1)[-1] == f"{module_name.rsplit('.', 1)[-1]}.py":
            return origin["file"]
    return module_name


def _own_frames(tb) -> list[str]:
    root = _state["submission"].rstrip(os.sep) + os.sep
    lines = []
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(root):
            where = frame.filename[len(root):]
            lines.append(f'  File {place(where, frame.lineno)}, in {frame.name}')
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
        "type": type(exc).__name__[:200],
        "message": message[:2000],
        "traceback": _own_frames(exc.__traceback__),
    }
