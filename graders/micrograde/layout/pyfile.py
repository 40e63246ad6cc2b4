"""What one Python source defines and imports, read with `ast` (never executed)."""
import ast
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str            # "class" or "function"
    line: int
    methods: frozenset   # for a class: the methods it (or a base class in the same file) writes out
    calls: frozenset = frozenset()  # for a class: the names its code calls (the classes it builds)
    fields: tuple = ()              # for a class: (role, attribute) its __init__ sets, see fields()


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


# The constructor's parameters in order, by the role of the attribute each one fills
# (`Value(data, _children=(), _op='')`), as in specs/contract.json.
PARAMETER_ROLES = ("data", "_prev", "_op")


def _called(node) -> frozenset:
    """Names called anywhere in `node`: `Value(...)`, and `engine.Value(...)` as Value."""
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Name):
                names.add(n.func.id)
            elif isinstance(n.func, ast.Attribute):
                names.add(n.func.attr)
    return frozenset(names)


def _self_assignments(init):
    """(attribute, value) of every `self.X = value` in a constructor, in source order."""
    if not init.args.args:
        return []
    me = init.args.args[0].arg
    found = []
    for n in ast.walk(init):
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me:
                    found.append((t.attr, n.value, n.lineno))
    return sorted(found, key=lambda f: f[2])


def _default_fits(role: str, default) -> bool:
    """A parameter's default can be what `role` holds: operands are never a string, a number or a
    function (`label=''`, `grad=0`), an operation is never a number, a collection or a function
    (`children=()`, `back=lambda: None`)."""
    if default is None:
        return True
    if isinstance(default, ast.Lambda):
        return role not in ("_prev", "_op")
    if role == "_prev":
        return not (isinstance(default, ast.Constant) and default.value is not None)
    if role == "_op":
        if isinstance(default, ast.Constant):
            return default.value is None or isinstance(default.value, str)
        return not isinstance(default, (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Call))
    return True


def fields(cls: ast.ClassDef, contract: dict) -> tuple:
    """(role, attribute) pairs: which attribute of the class holds the constructor's number
    ("data"), its operands ("_prev"), its operation ("_op"), its gradient ("grad") and its
    local backward function ("_backward"), read from what its __init__ stores where.
    `contract` maps each role to the spellings the contract accepts: an attribute spelled so is
    that role's, whatever its parameter's place; only the roles left are guessed by place."""
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return ()
    assigned = _self_assignments(init)
    params = [a.arg for a in init.args.args[1:]]
    defaults = dict(zip(reversed(params), reversed(init.args.defaults)))
    roles = {}

    def pick(role, matches):
        attrs = [attr for attr, value, _ in assigned if matches(value)]
        accepted = [a for a in attrs if a in contract.get(role, (role,))]
        if accepted or attrs:
            roles[role] = (accepted or attrs)[0]

    def reads(param):
        return lambda value: any(isinstance(n, ast.Name) and n.id == param for n in ast.walk(value))

    # A signature with more than the contract's (`Value(data, label, _prev, _op)`) shifts every
    # place after the extra one; the contract's own spellings do not move.
    spelled = {attr for role in PARAMETER_ROLES for attr in contract.get(role, (role,))}
    stored = [attr for attr, _, _ in assigned]
    for role in PARAMETER_ROLES:
        named = [attr for attr in stored if attr in contract.get(role, (role,))]
        if named:
            roles[role] = named[0]

    def filler(attr):
        """The place of the first parameter the attribute is stored from."""
        values = [value for a, value, _ in assigned if a == attr]
        return next((i for i, param in enumerate(params) if any(reads(param)(v) for v in values)), None)

    taken = {filler(attr) for attr in roles.values()} - {None}
    last = -1
    for role in PARAMETER_ROLES:
        if role in roles:
            at = filler(roles[role])
            last = at if at is not None else last
            continue
        place = next((i for i in range(last + 1, len(params))
                      if i not in taken and _default_fits(role, defaults.get(params[i]))), None)
        if place is None:
            continue
        last = place
        attrs = [attr for attr, value, _ in assigned if reads(params[place])(value)
                 and attr not in roles.values() and (attr not in spelled or attr in contract.get(role, (role,)))]
        if attrs:
            accepted = [a for a in attrs if a in contract.get(role, (role,))]
            roles[role] = (accepted or attrs)[0]
    names = {attr for attr, _, _ in assigned}
    zeros = {attr for attr, value, _ in assigned if isinstance(value, ast.Constant) and value.value == 0
             and not isinstance(value.value, bool) and attr not in roles.values()}
    if "grad" in names:
        roles["grad"] = "grad"
    elif len(zeros) == 1:
        roles["grad"] = zeros.pop()
    if "_backward" in names:
        roles["_backward"] = "_backward"
    else:
        pick("_backward", lambda value: isinstance(value, ast.Lambda) or (
            isinstance(value, ast.Name) and isinstance(defaults.get(value.id), ast.Lambda)))
        if "_backward" not in roles and (stored := _closure_attribute(cls)) is not None:
            roles["_backward"] = stored
    return tuple(sorted(roles.items()))


def _closure_attribute(cls: ast.ClassDef) -> str | None:
    """The attribute the class's methods store a function of their own in (`out.back = _back`,
    `out.grad_fn = lambda: ...`): a node's local backward, whatever it is called and whether
    or not __init__ sets it. The one most methods use."""
    counts = Counter()
    for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
        local = {n.name for n in ast.walk(method) if isinstance(n, ast.FunctionDef) and n is not method}
        for n in ast.walk(method):
            if isinstance(n, ast.Assign) and (isinstance(n.value, ast.Lambda)
                                              or (isinstance(n.value, ast.Name) and n.value.id in local)):
                counts.update(t.attr for t in n.targets
                              if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name))
    return counts.most_common(1)[0][0] if counts else None


def scan(source: str, filename: str = "<submission>", contract_fields: dict | None = None) -> Scan:
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
            result.definitions[node.name] = Definition(node.name, "class", node.lineno, _methods(node, classes),
                                                       _called(node), fields(node, contract_fields or {}))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            result.definitions[node.name] = Definition(node.name, "function", node.lineno, frozenset())
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                and node.value.id in result.definitions:
            # `Value = Scalar`: the name is the same object under another spelling.
            target = result.definitions[node.value.id]
            for t in node.targets:
                if isinstance(t, ast.Name):
                    result.definitions[t.id] = Definition(t.id, target.kind, node.lineno, target.methods,
                                                          target.calls, target.fields)
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
