"""What one Python source defines and imports, read with `ast` (never executed)."""
import ast
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str            # "class" or "function"
    line: int
    methods: frozenset   # for a class: the methods it (or a base class in the same file) writes out


@dataclass
class Scan:
    definitions: dict = field(default_factory=dict)  # name -> Definition; the last one wins, as when run
    imports: set = field(default_factory=set)        # absolute modules, "a.b" (and "a.b.c" for from a.b import c)
    relative: list = field(default_factory=list)     # (level, module or "", [names]) of relative imports
    script: bool = False                              # does work when imported (a training run, a plot)
    error: str = ""                                   # why the file could not be parsed
    error_line: int = 0


def is_stub(fn) -> bool:
    """A body that computes nothing: a docstring, pass, ... or `raise NotImplementedError`."""
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return True
    if len(body) != 1:
        return False
    stmt = body[0]
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return True
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _is_main_guard(node) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def top_level(body):
    """Statements that run when the module is imported: the module body, and the bodies of
    top-level if/try blocks (definitions guarded by a version check, say), never the
    `if __name__ == "__main__":` script part."""
    for node in body:
        if _is_main_guard(node):
            continue
        yield node
        if isinstance(node, ast.If):
            yield from top_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from top_level(node.body + node.orelse + node.finalbody
                                 + [s for h in node.handlers for s in h.body])


def _calls(node, names=None) -> bool:
    """Calls anything (or, given `names`, one of them), lambdas aside."""
    if isinstance(node, ast.Lambda):
        return False
    if isinstance(node, ast.Call) and (names is None or (isinstance(node.func, ast.Name) and node.func.id in names)):
        return True
    return any(_calls(child, names) for child in ast.iter_child_nodes(node))


def sets_path(node) -> bool:
    """`sys.path.append(...)` and the like: what the file's own imports depend on."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and ast.unparse(node.value.func).startswith("sys.path.")


def _does_work(node, defined) -> bool:
    """A statement run at import that is a use of the code, not a definition of it."""
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call) and not sets_path(node)
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
        return _calls(node.value, defined)
    return False


def _methods(cls: ast.ClassDef, classes: dict, seen=()) -> frozenset:
    own = {n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not is_stub(n)}
    # Class attributes bound to a function (`__radd__ = __add__`) are methods too.
    for n in cls.body:
        if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Name, ast.Lambda)):
            own.update(t.id for t in n.targets if isinstance(t, ast.Name))
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            own |= _methods(classes[base.id], classes, (*seen, cls.name))
    return frozenset(own)


def scan(source: str, filename: str = "<submission>") -> Scan:
    result = Scan()
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError) as e:
        result.error = f"{type(e).__name__}: {getattr(e, 'msg', e)} (line {getattr(e, 'lineno', '?')})"
        result.error_line = getattr(e, "lineno", 0) or 0
        return result
    classes = {}
    for node in top_level(tree.body):
        if isinstance(node, ast.ClassDef):
            classes[node.name] = node
            result.definitions[node.name] = Definition(node.name, "class", node.lineno, _methods(node, classes))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            result.definitions[node.name] = Definition(node.name, "function", node.lineno, frozenset())
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                and node.value.id in result.definitions:
            # `Value = Scalar`: the name is the same object under another spelling.
            target = result.definitions[node.value.id]
            for t in node.targets:
                if isinstance(t, ast.Name):
                    result.definitions[t.id] = Definition(t.id, target.kind, node.lineno, target.methods)
    defined = set(result.definitions)
    result.script = any(_does_work(node, defined) for node in top_level(tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            result.imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level:
                result.relative.append((node.level, node.module or "", names))
            elif node.module:
                result.imports.add(node.module)
                result.imports.update(f"{node.module}.{n}" for n in names if n != "*")
    return result
