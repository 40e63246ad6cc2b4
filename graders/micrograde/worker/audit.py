"""PEP 578 audit hooks: the worker refuses what reaches past the submission's own objects.

Probe code shares its interpreter with the submission. Once the worker is ready, and
before it imports any submission module, `install` adds an audit hook (Python code cannot
remove one) that refuses, in every thread and for the rest of the process's life:

- frames: `sys._getframe`, and the attributes that hand one out (`tb_frame`, `gi_frame`,
  ...), `sys._current_frames`; a frame leads to every caller's locals, the kit's included;
- walks of the heap (`gc.get_objects`, `get_referrers`, `get_referents`), tracing and
  profiling, ctypes, new code or function objects, another audit hook;
- importing the kit, pytest or Hypothesis (the kit's modules are also taken out of
  `sys.modules`, so they cannot be found by name), opening /proc and its aliases;
- replacing a function's `__code__`, and the audited special attributes (`__module__`,
  `__defaults__` ...) of the kit's classes and functions (Python does not audit a plain class
  attribute set: the watch, worker/watch.py, reports a kit method replaced).

There is no switch that a probe turns on around submission code: a switch is state, and
state in this process can be reached. The rules hold whoever asks, kit included. Frames
are handed only to code that looks at them and gives none out:
- fixed functions, taken by identity when the hook is installed (namedtuple reading its
  caller's module name, a traceback being formatted, logging finding its caller); code
  objects cannot be forged once new ones are refused, and calling such a function gives
  the caller nothing but what it returns;
- the installed libraries' own code (the interpreter's standard library and
  site-packages, read-only for the worker) when a library function asks on behalf of
  another library function, not of the submission's code directly (typing_extensions
  checking its caller at numpy's import); the functions that exist to hand frames out
  (`inspect.currentframe`, `traceback.walk_stack` ...) never count. A code object cannot
  claim a library file: compiling or unmarshalling one under a library path is refused
  outside the import machinery.

A refused operation raises `Refused` where the submission asked, and is logged with the
submission's innermost file and line. The request loop reads the log (`new_refusals`) and
sends it to the grader with the reply; the grader records a `refused_in_worker` finding
and fails that check, whether or not the submission caught the exception.
"""
import os
import sys
import sysconfig

from ..errors import Refused

READ_EVENT = "micrograde.audit.refusals"
# Frame-yielding attributes: a frame's f_back chain reaches every caller (CPython audits
# the first four; the rest are listed in case a later version audits them too).
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "f_globals", "f_locals",
                              "f_builtins"})
# Refused whoever asks: nothing a worker runs needs them once it is ready.
ALWAYS = {
    "gc.get_objects": "gc_walk", "gc.get_referrers": "gc_walk", "gc.get_referents": "gc_walk",
    "sys.settrace": "frame_introspection", "sys.setprofile": "frame_introspection",
    "sys._current_frames": "frame_introspection", "sys._current_exceptions": "frame_introspection",
    "sys.settrace_all_threads": "frame_introspection", "sys.setprofile_all_threads": "frame_introspection",
    "sys.monitoring.register_callback": "frame_introspection",
    "sys.addaudithook": "patch_modules",
    "code.__new__": "dynamic_code", "function.__new__": "dynamic_code",
}
KIT_PACKAGES = frozenset({"micrograde", "pytest", "_pytest", "hypothesis", "pluggy", "xdist"})
SPECIAL_PATHS = ("/proc", "/dev/fd", "/dev/mem", "/dev/kmem", "/dev/port", "/sys/kernel")
WATCHED = frozenset({*ALWAYS, "sys._getframe", "object.__getattr__", "object.__setattr__", "object.__delattr__",
                     "import", "open", "compile", "marshal.loads", "marshal.load", READ_EVENT})
MAX_LOG = 200

# Functions that look at frames and never hand one out: (module, qualified name).
SAFE = [
    ("collections", "namedtuple"), ("typing", "_caller"), ("enum", "EnumType._create_"),
    ("logging", "Logger.findCaller"), ("warnings", "warn"),
    ("traceback", "StackSummary._extract_from_extended_frame_gen"), ("traceback", "StackSummary.extract"),
    ("traceback", "extract_stack"), ("traceback", "format_stack"), ("traceback", "print_stack"),
    ("matplotlib._api", "warn_external"), ("numpy.lib._index_tricks_impl", "AxisConcatenator.__getitem__"),
    ("numpy.lib.index_tricks", "AxisConcatenator.__getitem__"), ("numpy.matrixlib.defmatrix", "bmat"),
]
# Functions that hand frames to their caller: allowed only when that caller is SAFE.
RELAYS = [("logging", "currentframe"), ("traceback", "walk_tb"), ("traceback", "walk_stack"),
          ("traceback", "_walk_tb_with_full_positions")]
# Functions whose job is to hand frames out: library code or not, they are never trusted.
HANDS_OUT = [("inspect", "currentframe"), ("inspect", "stack"), ("inspect", "trace"), ("inspect", "getouterframes"),
             ("inspect", "getinnerframes"), ("inspect", "getframeinfo"), ("traceback", "walk_stack"),
             ("traceback", "walk_tb"), ("traceback", "_walk_tb_with_full_positions"), ("logging", "currentframe")]
IMPORT_MACHINERY = ("_frozen_importlib", "_frozen_importlib_external", "importlib._bootstrap",
                    "importlib._bootstrap_external")


def _code(module: str, qualname: str):
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        if obj is None:
            return None
        obj = vars(obj).get(part) if isinstance(obj, type) else getattr(obj, part, None)
        obj = getattr(obj, "__func__", obj)
    return getattr(obj, "__code__", None)


def _codes(names) -> frozenset:
    return frozenset(c for c in (_code(m, q) for m, q in names) if c is not None)


def _machinery() -> frozenset:
    """The code objects of the import system's functions and methods."""
    codes = set()
    for name in IMPORT_MACHINERY:
        for value in list(vars(sys.modules.get(name, sys)).values()) if name in sys.modules else []:
            members = list(vars(value).values()) if isinstance(value, type) else [value]
            for member in members:
                member = getattr(member, "__func__", member)
                code = getattr(member, "__code__", None)
                if code is not None:
                    codes.add(code)
    return frozenset(codes)


def _library_folders() -> tuple:
    paths = sysconfig.get_paths()
    folders = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")} - {None}
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders)


# Read when the worker loads this module, before it drops privileges: a worker with a uid of
# its own may no longer read the interpreter's configuration.
LIBRARY_FOLDERS = _library_folders()


def _special(path, interpreter) -> bool:
    """Whether `path` is /proc or another window on processes and memory, symlinks followed."""
    try:
        text = os.fsdecode(path)
        if text.startswith(interpreter) and ".." not in text:
            return False  # the interpreter's own files, imported all the time
        full = os.path.realpath(os.path.join(os.getcwd(), text))
    except (TypeError, ValueError, OSError):
        return False
    return any(full == p or full.startswith(p + "/") for p in SPECIAL_PATHS)


def hide_kit() -> dict:
    """Take the kit's modules (and pytest's, Hypothesis's) out of sys.modules; return them."""
    names = [n for n in list(sys.modules) if n.partition(".")[0] in KIT_PACKAGES]
    return {name: sys.modules.pop(name) for name in names}


def _kit_objects(modules) -> set:
    """ids of the classes and functions the kit defines (their attributes are not rebound)."""
    ids = set()
    for module in modules:
        for value in list(vars(module).values()):
            if getattr(value, "__module__", None) == module.__name__ and (isinstance(value, type) or callable(value)):
                ids.add(id(value))
                if isinstance(value, type):
                    ids.update(id(member) for member in vars(value).values() if callable(member))
    return ids


def install(submission: str, kit_modules=(), trusted=(), descriptors=()) -> None:
    """Add the hook. `trusted`: kit functions that look at frames and hand none out;
    `descriptors`: the protocol's file descriptors, which the submission may not open."""
    safe = _codes(SAFE) | {f.__code__ for f in trusted}
    relays = _codes(RELAYS)
    hands_out = _codes(HANDS_OUT)
    machinery = _machinery()
    libraries = LIBRARY_FOLDERS
    library_files: dict[str, bool] = {}
    kit_ids = frozenset(_kit_objects(kit_modules))
    fds = frozenset(descriptors)
    root = submission.rstrip(os.sep) + os.sep
    log: list[dict] = []  # the first MAX_LOG refusals in full
    total = [0]  # every refusal counted, however many
    getframe = sys._getframe
    interpreter = tuple(os.path.join(p, "") for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})

    def library(path) -> bool:
        """Whether `path` is a file of the installed libraries (symlinks and .. resolved)."""
        known = library_files.get(path)
        if known is None:
            try:
                text = os.fsdecode(path)
                known = os.path.isabs(text) and os.path.realpath(text).startswith(libraries)
            except (TypeError, ValueError, OSError):
                known = False
            if len(library_files) < 10_000:
                library_files[path] = known
        return known

    def trusted_caller(frame) -> bool:
        code = frame.f_code
        if code in safe:
            return True
        parent = frame.f_back
        if parent is None:
            return False
        if code in relays:
            return parent.f_code in safe
        # A library function asking for a library function (not for the submission's code).
        return (code not in hands_out and library(code.co_filename)
                and (parent.f_code in machinery or library(parent.f_code.co_filename)))

    def machinery_asks(frame) -> bool:
        parent = frame.f_back
        return frame.f_code in machinery and parent is not None and parent.f_code in machinery

    def verdict(event, args, frame):
        """The static rule an event falls under when it is refused; None: allowed."""
        if event in ALWAYS:
            return ALWAYS[event]
        if event.startswith("ctypes."):
            return "ctypes"
        if event == "import":
            return "kit_import" if str(args[0]).partition(".")[0] in KIT_PACKAGES else None
        if event == "open":
            path = args[0]
            if isinstance(path, int):
                return "raw_fd_io" if path in fds else None
            return "proc_filesystem" if _special(path, interpreter) else None
        if event == "sys._getframe":
            return None if trusted_caller(frame) else "frame_introspection"
        if event == "compile":
            return "dynamic_code" if library(args[1]) and not machinery_asks(frame) else None
        if event in ("marshal.loads", "marshal.load"):
            return None if machinery_asks(frame) else "dynamic_code"
        if event == "object.__getattr__":
            return "frame_introspection" if args[1] in FRAME_ATTRIBUTES and not trusted_caller(frame) else None
        if event in ("object.__setattr__", "object.__delattr__"):
            return "patch_modules" if id(args[0]) in kit_ids or args[1] == "__code__" else None
        return None

    def where(frame):
        """The submission's innermost file and line on this stack."""
        for _ in range(500):
            if frame is None:
                break
            name = frame.f_code.co_filename
            if name.startswith(root):
                return name[len(root):], frame.f_lineno
            frame = frame.f_back
        return None, None

    def hook(event, args):
        if event not in WATCHED and not event.startswith("ctypes."):
            return
        # Cheap tests on the arguments first: the hook's own attribute reads and stack look
        # raise events too, which must end here without looking at the stack again.
        if event == "object.__getattr__":
            if args[1] not in FRAME_ATTRIBUTES:
                return
        elif event == "sys._getframe":
            if args and type(args[0]).__name__ == "frame" and args[0].f_code is own:
                return  # the hook's own look at the stack, below
        elif event == READ_EVENT:
            if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], list):
                args[1].append((total[0], [dict(entry) for entry in log[max(args[0], 0):]]))
            return
        frame = getframe(0).f_back
        rule = verdict(event, args, frame)
        if rule is None:
            return
        what = event if event not in ("object.__getattr__", "object.__setattr__", "object.__delattr__", "import") \
            else f"{event} {str(args[1] if event != 'import' else args[0])[:80]}"
        file, line = where(frame)
        total[0] += 1
        if len(log) < MAX_LOG:
            log.append({"event": what, "rule": rule, "file": file, "line": line})
        raise Refused(f"the grading worker refused {what}: a submission may not reach past its own objects")

    own = hook.__code__
    sys.addaudithook(hook)


def refusals(start: int) -> tuple[int, list[dict]]:
    """(how many refusals so far, copies of those logged from the `start`-th on); the log
    itself stays in the hook, where nothing can clear it."""
    found: list = []
    sys.audit(READ_EVENT, start, found)
    return found[0] if found else (0, [])
