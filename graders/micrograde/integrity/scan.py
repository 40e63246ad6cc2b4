"""The static scan: constructs a micrograd solution never needs, found in the syntax tree.

The source is parsed, never run. Names are resolved through the file's own imports
(`import os as o; o.system` is `os.system`), and string expressions are folded where
they are built from literals (`"_get" + "frame"`), so a renamed import or a split string
does not hide a construct. What cannot be resolved statically is itself a finding: a
`getattr` whose name is computed, `exec`, `__import__`, `globals()`. A solution needs
none of these, so the scan does not have to guess what they reach.

Allowed, because real micrograd code uses them: math, random, numpy, graphviz,
matplotlib, os.path, relative file names (saving a plot), `import gc` for gc.collect()
or gc.disable(), sys.path and sys.setrecursionlimit.
"""
import ast
import re

from .findings import Finding, finding

# -- what each construct is --------------------------------------------------------------
# Imported modules (a module or any submodule of it) that are findings by themselves.
MODULES = {
    "ctypes": "ctypes", "_ctypes": "ctypes", "cffi": "ctypes",
    "subprocess": "process_spawn", "_posixsubprocess": "process_spawn", "multiprocessing": "process_spawn",
    "pty": "process_spawn", "pexpect": "process_spawn", "sh": "process_spawn",
    "socket": "network", "_socket": "network", "ssl": "network", "http": "network", "urllib.request": "network",
    "urllib3": "network", "requests": "network", "httpx": "network", "aiohttp": "network", "ftplib": "network",
    "smtplib": "network", "telnetlib": "network", "xmlrpc": "network", "socketserver": "network",
    "threading": "threads", "_thread": "threads", "concurrent": "threads",
    "signal": "signals", "_signal": "signals", "faulthandler": "signals",
    # importlib itself is not a finding: notebooks reload their own modules with importlib.reload.
    "importlib.util": "dynamic_import", "importlib.machinery": "dynamic_import", "importlib.abc": "dynamic_import",
    "importlib._bootstrap": "dynamic_import", "importlib._bootstrap_external": "dynamic_import",
    "imp": "dynamic_import", "runpy": "dynamic_import",
    "pkgutil": "dynamic_import", "zipimport": "dynamic_import",
    "marshal": "dynamic_code", "code": "dynamic_code", "codeop": "dynamic_code",
    "builtins": "patch_modules", "__builtin__": "patch_modules",
    "mmap": "raw_fd_io", "fcntl": "raw_fd_io", "termios": "raw_fd_io",
    "micrograde": "kit_import", "pytest": "kit_import", "_pytest": "kit_import",
    "hypothesis": "kit_import", "pluggy": "kit_import", "xdist": "kit_import",
}

# Fully qualified names (after resolving imports) whose use is a finding; a trailing "*"
# matches any name with that prefix.
NAMES = {
    "sys._getframe": "frame_introspection", "sys._current_frames": "frame_introspection",
    "sys._current_exceptions": "frame_introspection", "sys.settrace": "frame_introspection",
    "sys.setprofile": "frame_introspection", "sys.gettrace": "frame_introspection",
    "sys.getprofile": "frame_introspection", "sys.exc_info": "frame_introspection",
    "sys.exception": "frame_introspection", "sys.last_traceback": "frame_introspection",
    "sys.monitoring": "frame_introspection", "sys.audit": "frame_introspection",
    "sys.addaudithook": "frame_introspection",
    "inspect.currentframe": "frame_introspection", "inspect.stack": "frame_introspection",
    "inspect.trace": "frame_introspection", "inspect.getouterframes": "frame_introspection",
    "inspect.getinnerframes": "frame_introspection", "inspect.getframeinfo": "frame_introspection",
    "inspect.getmembers": "computed_attribute", "inspect.getattr_static": "computed_attribute",
    "traceback.walk_stack": "frame_introspection", "traceback.extract_stack": "frame_introspection",
    "traceback.walk_tb": "frame_introspection", "traceback.StackSummary": "frame_introspection",
    "gc.get_objects": "gc_walk", "gc.get_referrers": "gc_walk", "gc.get_referents": "gc_walk",
    "gc.garbage": "gc_walk", "gc.callbacks": "gc_walk",
    "sys.modules": "patch_modules", "sys.meta_path": "patch_modules", "sys.path_hooks": "patch_modules",
    "sys.path_importer_cache": "patch_modules", "sys.stdin": "raw_fd_io", "sys.__stdin__": "raw_fd_io",
    "sys.__stdout__": "raw_fd_io", "sys.__stderr__": "raw_fd_io",
    "os.system": "process_spawn", "os.popen": "process_spawn", "os.fork": "process_spawn",
    "os.forkpty": "process_spawn", "os.exec*": "process_spawn", "os.spawn*": "process_spawn",
    "os.posix_spawn*": "process_spawn", "os.register_at_fork": "process_spawn",
    "asyncio.create_subprocess_*": "process_spawn", "asyncio.subprocess": "process_spawn",
    "asyncio.open_connection": "network", "asyncio.start_server": "network",
    "asyncio.to_thread": "threads", "os.kill": "signals", "os.killpg": "signals",
    "os.pidfd_send_signal": "signals", "os.pidfd_open": "signals", "os.abort": "signals",
    "os.read": "raw_fd_io", "os.write": "raw_fd_io", "os.open": "raw_fd_io", "os.close": "raw_fd_io",
    "os.closerange": "raw_fd_io", "os.dup": "raw_fd_io", "os.dup2": "raw_fd_io", "os.fdopen": "raw_fd_io",
    "os.pipe": "raw_fd_io", "os.pipe2": "raw_fd_io", "os.lseek": "raw_fd_io", "os.sendfile": "raw_fd_io",
    "os.pread": "raw_fd_io", "os.pwrite": "raw_fd_io", "os.readv": "raw_fd_io", "os.writev": "raw_fd_io",
    "os.openpty": "raw_fd_io", "os.memfd_create": "raw_fd_io", "os.set_inheritable": "raw_fd_io",
    "os.set_blocking": "raw_fd_io", "os.splice": "raw_fd_io", "os.copy_file_range": "raw_fd_io",
    "io.FileIO": "raw_fd_io", "_io.FileIO": "raw_fd_io",
    "os.chdir": "outside_files", "os.fchdir": "outside_files", "os.chroot": "outside_files",
    "os.getppid": "proc_filesystem", "os.getpgid": "proc_filesystem", "os.getsid": "proc_filesystem",
    "builtins.exec": "dynamic_code", "builtins.eval": "dynamic_code", "builtins.compile": "dynamic_code",
    "builtins.__import__": "dynamic_import", "builtins.__build_class__": "dynamic_code",
    "builtins.globals": "computed_attribute", "builtins.locals": "computed_attribute",
    "builtins.vars": "computed_attribute",
    "importlib.reload": None, "importlib.*": "dynamic_import",
    "object.__getattribute__": "computed_attribute", "type.__getattribute__": "computed_attribute",
    "object.__setattr__": "computed_attribute", "type.__setattr__": "computed_attribute",
    "object.__subclasses__": "dunder_walk", "type.__subclasses__": "dunder_walk",
    "types.CodeType": "dynamic_code", "types.FunctionType": "dynamic_code", "types.ModuleType": "dynamic_code",
    "types.new_class": "dynamic_code",
    "pickle.load*": "dynamic_code", "pickle.Unpickler": "dynamic_code", "_pickle.load*": "dynamic_code",
    "dill.load*": "dynamic_code", "cloudpickle.load*": "dynamic_code", "shelve.open": "dynamic_code",
    "base64.*decode*": "dynamic_code", "binascii.a2b_*": "dynamic_code", "binascii.unhexlify": "dynamic_code",
    "codecs.decode": "dynamic_code", "codecs.getdecoder": "dynamic_code", "zlib.decompress*": "dynamic_code",
    "lzma.decompress": "dynamic_code", "bz2.decompress": "dynamic_code", "gzip.decompress": "dynamic_code",
    "operator.attrgetter": "computed_attribute", "operator.methodcaller": "computed_attribute",
    # Attribute access and code execution by other names: a format string's fields are
    # getattr, annotations and doctests are evaluated strings, debuggers and profilers hand
    # out frames.
    "string.Formatter": "computed_attribute", "_string.formatter_field_name_split": "computed_attribute",
    "typing.get_type_hints": "dynamic_code", "inspect.get_annotations": "dynamic_code",
    "typing.ForwardRef": "dynamic_code", "doctest.*": "dynamic_code", "pydoc.locate": "dynamic_import",
    "pdb.*": "frame_introspection", "bdb.*": "frame_introspection", "cProfile.*": "frame_introspection",
    "profile.*": "frame_introspection", "trace.*": "frame_introspection",
}

# Attributes that are findings whatever object they are read from (frames have no other name).
ATTRIBUTES = {
    "f_back": "frame_introspection", "f_locals": "frame_introspection", "f_globals": "frame_introspection",
    "f_builtins": "frame_introspection", "f_code": "frame_introspection", "f_trace": "frame_introspection",
    "f_lasti": "frame_introspection", "tb_frame": "frame_introspection", "tb_next": "frame_introspection",
    "gi_frame": "frame_introspection", "cr_frame": "frame_introspection", "ag_frame": "frame_introspection",
    "gi_code": "frame_introspection", "__traceback__": "frame_introspection",
    "_getframe": "frame_introspection", "_current_frames": "frame_introspection",
    "get_objects": "gc_walk", "get_referrers": "gc_walk", "get_referents": "gc_walk",
    "__globals__": "dunder_walk", "__builtins__": "dunder_walk", "__subclasses__": "dunder_walk",
    "__code__": "dunder_walk", "__closure__": "dunder_walk", "__mro__": "dunder_walk", "__bases__": "dunder_walk",
    "__base__": "dunder_walk", "__loader__": "dunder_walk", "__spec__": "dunder_walk", "__reduce__": "dunder_walk",
    "__reduce_ex__": "dunder_walk", "__self__": "dunder_walk", "__func__": "dunder_walk",
    "__defaults__": "dunder_walk", "__kwdefaults__": "dunder_walk", "__objclass__": "dunder_walk",
    "__import__": "dynamic_import", "__getattribute__": "computed_attribute",
    "co_code": "dynamic_code", "co_consts": "dynamic_code", "cell_contents": "dunder_walk",
    "get_field": "computed_attribute", "vformat": "computed_attribute", "get_stack": "frame_introspection",
    "f_trace_lines": "frame_introspection",
}
# A format field that reads attributes or items (`{0.__class__}`, `{0.tb_frame}`): str.format
# and string.Formatter run getattr on each. Private, dunder and frame names are what a
# solution never reads through one.
FORMAT_FIELD = re.compile(r"\{([^{}!:]*[.\[][^{}!:]*)[!:}]")
TIMEIT = {"timeit.timeit", "timeit.repeat", "timeit.Timer"}

# Calls that reach the file system: a constant path outside the submission is a finding.
FILE_CALLS = {
    "builtins.open", "io.open", "io.open_code", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath",
    "os.listdir", "os.scandir", "os.walk", "os.stat", "os.lstat", "os.remove", "os.unlink", "os.rename",
    "os.replace", "os.mkdir", "os.makedirs", "os.rmdir", "os.removedirs", "os.chmod", "os.chown",
    "os.symlink", "os.link", "os.readlink", "os.access", "os.truncate", "os.utime", "os.path.exists",
    "os.path.isfile", "os.path.isdir", "os.path.getsize", "os.path.islink", "glob.glob", "glob.iglob",
    "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.rmtree", "shutil.move",
    "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.memmap",
    "tarfile.open", "zipfile.ZipFile", "sqlite3.connect",
}
BUILTINS = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "open", "getattr",
            "setattr", "delattr", "__build_class__", "object", "type"}
# Builtins whose names students also use for their own variables (`vars = [a, b]`).
SHADOWABLE = {"globals", "locals", "vars", "open", "object", "type"}
ATTR_FUNCTIONS = {"builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.hasattr",
                  "object.__getattribute__", "object.__setattr__", "type.__getattribute__", "type.__setattr__"}
SPECIAL_FILES = re.compile(r"^/(proc|sys)(/|$)|^/dev/(fd|mem|kmem|shm|mqueue)(/|$)")
ABSOLUTE = re.compile(r"^(/[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]*)*|~[/\\].*|[A-Za-z]:[\\/].*)$")
# The kit by name, or a submodule of pytest or hypothesis ("hypothesis" alone is an English word).
KIT_MODULE = re.compile(r"^(micrograde|_pytest)(\.[A-Za-z_]\w*)*$|^(pytest|hypothesis|pluggy|xdist)(\.[A-Za-z_]\w*)+$")
MODULE_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
# Module names too common as plain words to be findings when they appear alone in a string.
GENERIC_WORDS = {"code", "sh", "http", "imp", "concurrent", "signal", "requests", "xdist", "builtins", "hypothesis",
                 "pluggy"}


def module_rule(module: str):
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        rule = MODULES.get(".".join(parts[:i]))
        if rule:
            return rule
    return None


def name_rule(qualified: str):
    if qualified in NAMES:
        return NAMES[qualified]
    for pattern, rule in NAMES.items():
        if pattern.endswith("*") and rule:
            head, _, tail = pattern[:-1].partition("*")
            if qualified.startswith(head) and (not tail or tail in qualified[len(head):]):
                return rule
    return None


def fold(node, depth: int = 0):
    """The string an expression always evaluates to, when it is built from literals only.

    Bounded in depth: a 10,000-term sum is not a string anyone hides a name in."""
    if depth > 40:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = fold(node.left, depth + 1)
        right = None if left is None else fold(node.right, depth + 1)
        return None if right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [fold(v, depth + 1) for v in node.values]
        return None if None in parts else "".join(parts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.keywords:
        base = fold(node.func.value, depth + 1)
        if base is not None and node.func.attr == "join" and len(node.args) == 1 \
                and isinstance(node.args[0], (ast.List, ast.Tuple)):
            parts = [fold(e, depth + 1) for e in node.args[0].elts]
            return None if None in parts else base.join(parts)
        if base is not None and node.func.attr in ("lower", "upper", "strip") and not node.args:
            return getattr(base, node.func.attr)()
    return None


def _is_main_guard(test) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and fold(test.comparators[0]) == "__main__")


def _is_path(text: str) -> bool:
    return bool(ABSOLUTE.match(text)) and any(c.isalpha() for c in text) and "graphviz" not in text.lower()


def _leaves_folder(text: str) -> bool:
    return ".." in re.split(r"[\\/]", text)


class _Scanner:
    def __init__(self, tree: ast.AST, file: str, own_modules: frozenset, line_offset: int = 0):
        self.tree, self.file, self.own, self.offset = tree, file, own_modules, line_offset
        self.found: list[Finding] = []
        self.aliases: dict[str, str] = {}  # local name -> what it was imported as
        self.module_aliases: set[str] = set()  # names bound by `import x` (modules for sure)
        self.bound: set[str] = set()
        self.docstrings: set[int] = set()
        self.called: set[int] = set()  # expressions in call position
        self.fragments: set[int] = set()  # literal pieces of an f-string after its first value
        self.star_modules: list[str] = []  # `from x import *`
        self.main_only: set[int] = set()  # nodes under `if __name__ == "__main__":`

    def add(self, rule, detail, node):
        if id(node) in self.main_only and detail.startswith("uses doctest."):
            return  # `doctest.testmod()` under `if __name__ == "__main__":` never runs in the worker
        line = getattr(node, "lineno", None)
        self.found.append(finding(rule, detail, self.file, None if line is None else line + self.offset))

    # -- name resolution --------------------------------------------------------------
    def _collect(self):
        self.nodes = list(ast.walk(self.tree))  # walked once: every pass below reuses it
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    local = a.asname or a.name.split(".")[0]
                    self.aliases[local] = a.name if a.asname else a.name.split(".")[0]
                    self.module_aliases.add(local)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name == "*":
                        self.star_modules.append(node.module)
                    else:
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound.add(node.name)
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    self.docstrings.add(id(body[0].value))
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.bound.add(node.id)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                self.docstrings.add(id(node.value))  # a bare string statement does nothing
            if isinstance(node, ast.If) and _is_main_guard(node.test):
                self.main_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
            if isinstance(node, ast.Call):
                self.called.add(id(node.func))
            elif isinstance(node, ast.JoinedStr):
                self.fragments.update(id(v) for v in node.values[1:])

    def _follow_assignments(self):
        """`m = sys` then `m.modules`: a module or function renamed by assignment is still itself."""
        assigns = [n for n in self.nodes if isinstance(n, (ast.Assign, ast.NamedExpr))]
        for _ in range(3):  # chains of renames, a few deep
            changed = False
            for node in assigns:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if len(targets) != 1 or not isinstance(targets[0], ast.Name) or targets[0].id in self.aliases:
                    continue
                qualified = self.resolve(node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
                if qualified:
                    self.aliases[targets[0].id] = qualified
                    changed = True
            if not changed:
                return

    def resolve(self, node):
        """`os.path.join` for the expression `os.path.join` (through aliases), else None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in BUILTINS and not (node.id in SHADOWABLE and node.id in self.bound):
                return node.id if node.id in ("object", "type") else f"builtins.{node.id}"
            if node.id == "__builtins__":
                return "builtins"
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    # -- the checks ----------------------------------------------------------------------
    def run(self) -> list[Finding]:
        self._collect()
        self._follow_assignments()
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self._module(a.name, node, "imports")
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self._module(node.module, node, "imports from")
                for a in node.names:
                    rule = name_rule(f"{node.module}.{a.name}") or ATTRIBUTES.get(a.name)
                    if rule:
                        self.add(rule, f"imports {node.module}.{a.name}", node)
            elif isinstance(node, ast.Attribute):
                self._attribute(node)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self._name(node)
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for target in targets:
                    self._store(target, node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in self.docstrings:
                self._string(node.value, node)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                text = fold(node.right)
                if text is not None and (_leaves_folder(text) or (_is_path(text) and text.startswith("/"))):
                    self.add("outside_files", f"builds a path with {text!r}", node)
            elif isinstance(node, ast.Subscript):
                self._subscript(node)
            if isinstance(node, (ast.BinOp, ast.JoinedStr, ast.Call)):
                text = fold(node)
                if text is not None:
                    self._string(text, node)  # built from literals: judged like a literal
        return self.found

    def _subscript(self, node):
        """`x.__dict__[key]`: getattr by another name."""
        if not (isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__"):
            return
        key = fold(node.slice)
        if key is None:
            self.add("computed_attribute", "looks up __dict__[...] with a computed key", node)
            return
        base = self.resolve(node.value.value)
        rule = (name_rule(f"{base}.{key}") if base else None) or ATTRIBUTES.get(key)
        if rule:
            self.add(rule, f"{base or '...'}.__dict__[{key!r}]", node)

    def _module(self, module, node, verb):
        rule = module_rule(module)
        if rule:
            self.add(rule, f"{verb} {module}", node)

    def _name(self, node):
        qualified = self.resolve(node)
        if qualified and node.id not in self.aliases:  # imported names were judged at their import
            rule = name_rule(qualified)
            if rule:
                self.add(rule, f"uses {node.id}", node)
        if qualified in ATTR_FUNCTIONS and qualified != "builtins.hasattr" and id(node) not in self.called:
            self.add("computed_attribute", f"passes {node.id} around as a value (a computed lookup)", node)
        if qualified is None and node.id not in self.bound:
            for module in self.star_modules:  # `from sys import *` then `_getframe()`
                rule = name_rule(f"{module}.{node.id}")
                if rule:
                    self.add(rule, f"uses {module}.{node.id} (star-imported)", node)
        if node.id in ATTRIBUTES and node.id.startswith("__") and node.id not in self.bound:
            self.add(ATTRIBUTES[node.id], f"uses {node.id}", node)

    def _attribute(self, node):
        rule = ATTRIBUTES.get(node.attr)
        if rule:
            self.add(rule, f"reads .{node.attr}", node)
        qualified = self.resolve(node)
        if qualified:
            rule = name_rule(qualified)
            if rule:
                self.add(rule, f"uses {qualified}", node)

    def _call(self, node):
        qualified = self.resolve(node.func)
        if qualified in ATTR_FUNCTIONS and len(node.args) >= 2:
            self._attr_call(qualified.rsplit(".", 1)[-1], node)
        if qualified in ("operator.attrgetter", "operator.methodcaller"):
            return  # already a finding by name
        if qualified in FILE_CALLS or (qualified or "").startswith("shutil."):
            self._file_call(qualified, node)
        if qualified in TIMEIT:
            code = list(node.args[:2]) + [k.value for k in node.keywords if k.arg in ("stmt", "setup")]
            if any(not isinstance(a, (ast.Lambda, ast.Name, ast.Attribute)) for a in code):
                self.add("dynamic_code", f"{qualified}() runs a string as code", node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "format_map"):
            receiver = node.func.value
            if fold(receiver) is None and isinstance(receiver, (ast.BinOp, ast.JoinedStr, ast.Call, ast.Subscript)) \
                    and not (isinstance(receiver, ast.BinOp) and isinstance(receiver.op, ast.Mod)):
                self.add("computed_attribute", f"str.{node.func.attr}() with a format string built at run time "
                                               "(its fields read attributes)", node)

    def _attr_call(self, fn, node):
        obj, name = node.args[0], fold(node.args[1])
        if name is None:
            if fn != "hasattr":
                self.add("computed_attribute", f"{fn}() with a computed attribute name", node)
            return
        base = self.resolve(obj)
        rule = (name_rule(f"{base}.{name}") if base else None) or ATTRIBUTES.get(name)
        if rule:
            self.add(rule, f"{fn}({base or '...'}, {name!r})", node)
        if fn in ("setattr", "delattr", "__setattr__") and isinstance(obj, ast.Name) and self._is_module(obj.id):
            self.add("patch_modules", f"{fn}() on module {self.aliases.get(obj.id, obj.id)}", node)

    def _file_call(self, qualified, node):
        args = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in ("file", "path", "fname")]
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, int) and qualified in ("builtins.open", "io.open"):
                self.add("raw_fd_io", f"open() of file descriptor {arg.value}", node)
            text = fold(arg)
            if text is not None and (_is_path(text) or _leaves_folder(text)):
                self.add("outside_files", f"{qualified.removeprefix('builtins.')}({text!r})", node)

    def _is_module(self, local: str) -> bool:
        if local == "__builtins__":
            return True
        if local not in self.module_aliases:
            return False
        return self.aliases[local].split(".")[0] not in self.own

    def _store(self, target, node):
        # Attributes only: `plt.rcParams["figure.figsize"] = ...` is how plots are configured.
        for sub in ast.walk(target):
            if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                base = sub.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and self._is_module(base.id):
                    what = ast.unparse(sub)[:80]
                    self.add("patch_modules", f"assigns {what} (an attribute of an imported module)", node)

    def _string(self, text, node):
        if SPECIAL_FILES.match(text):
            self.add("proc_filesystem", f"names {text[:60]!r}", node)
        elif _is_path(text) and text.startswith("/") and id(node) not in self.fragments:
            self.add("outside_files", f"names the absolute path {text[:60]!r}", node)
        if KIT_MODULE.match(text):
            self.add("kit_import", f"names the module {text!r} in a string", node)
        elif MODULE_PATH.match(text) and "." in text or (text in MODULES and text not in GENERIC_WORDS):
            rule = module_rule(text)
            if rule:
                self.add(rule, f"names the module {text!r} in a string", node)
        if text in ATTRIBUTES:
            self.add(ATTRIBUTES[text], f"names {text!r} in a string", node)
        elif MODULE_PATH.match(text) and "." in text and name_rule(text):
            self.add(name_rule(text), f"names {text!r} in a string", node)
        for field in FORMAT_FIELD.findall(text):
            for part in re.split(r"[.\[\]]", field)[1:]:
                part = part.strip()
                if part.startswith("_") or part in ATTRIBUTES:
                    self.add("computed_attribute", f"a format string reads .{part} ({text[:60]!r})", node)
                    if part in ATTRIBUTES:
                        self.add(ATTRIBUTES[part], f"a format string reads .{part}", node)


def parse(source, file: str, line_offset: int = 0):
    """(tree, None); (None, None) for code Python itself refuses (a syntax error cannot run:
    a student's half-written scratch file is no finding); or (None, an `unscannable`
    finding) for code too deep or large to parse here, which the worker might still run
    (after raising its recursion limit, say)."""
    try:
        return ast.parse(source, filename=file), None
    except (SyntaxError, ValueError):  # ValueError: NUL bytes, undecodable source
        return None, None
    except (RecursionError, MemoryError) as e:
        return None, finding("unscannable", f"too deeply nested or too large to parse ({type(e).__name__}), "
                                            "so it was not scanned", file)


def scan_tree(tree, file: str, own_modules=frozenset(), line_offset: int = 0) -> list[Finding]:
    try:
        return _Scanner(tree, file, frozenset(own_modules), line_offset).run()
    except RecursionError:
        return [finding("unscannable", "nested too deeply to scan", file)]


def scan_python(source, file: str, own_modules=frozenset(), line_offset: int = 0) -> list[Finding]:
    """Findings in one Python source (text or bytes: bytes are decoded as Python would)."""
    tree, problem = parse(source, file, line_offset)
    if tree is None:
        return [problem] if problem else []
    return scan_tree(tree, file, own_modules, line_offset)
