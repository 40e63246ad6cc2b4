"""A notebook (or a script) as a module: its definitions only (imports, classes, functions,
constants).

A notebook mixes the code to grade with the code that uses it: training loops, plots,
`!pip install` lines, `%matplotlib inline`. Only the definitions are kept, in cell order
(with the top-level bindings they read, `random = RNG(42)` for a Neuron, transitively)
(so a class redefined in a later cell is the later one, as in the notebook), and every
other statement is listed as skipped, so the report says what was not run. An import a
notebook cell makes is allowed to fail (lecture notebooks import torch to compare with):
the names it would bring are then simply undefined. A one-file script (`backprop.py`
with its training run at the top level) is read the same way, as one cell.
"""
import ast
import json
import re
import symtable
import sys
import warnings
from dataclasses import dataclass, field

from .pyfile import sets_path



def _nbformat():
    """nbformat, imported when a notebook is first read: a quarter of a second of every
    grading's start-up (its validators) that submissions without notebooks never need."""
    try:
        import nbformat
    except ImportError:  # a broken install; notebooks are then listed as unread
        return None
    return nbformat

KEPT = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_MODULE_CHARS = re.compile(r"\W")
_HELP = re.compile(r"^(\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")  # IPython's `obj?` / `??obj` help lines


@dataclass
class Extract:
    source: str = ""                                 # the generated module
    lines: dict = field(default_factory=dict)        # generated line -> (code cell number, line in cell)
    skipped: list = field(default_factory=list)      # {"cell", "line", "code", "why"}
    error: str = ""                                   # the notebook could not be read at all
    unparsable: list = field(default_factory=list)   # {"cell", "line", "error", "text"}: cells Python cannot parse


def module_name(path: str) -> str:
    """The name of the module generated from notebook or script `path` (written beside it)."""
    stem, _, suffix = path.rpartition("/")[2].rpartition(".")
    return f"_micrograde_{'nb' if suffix == 'ipynb' else 'py'}_" + _MODULE_CHARS.sub("_", stem)


def _computes_nothing(value) -> bool:
    """A literal, a name, a lambda, or a list/tuple/dict/set made only of those."""
    if isinstance(value, (ast.Constant, ast.Name, ast.Lambda)):
        return True
    if isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant):  # -1e-6
        return True
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return all(_computes_nothing(v) for v in value.elts)
    if isinstance(value, ast.Dict):
        return all(k is None or _computes_nothing(k) for k in value.keys) and all(map(_computes_nothing, value.values))
    return False


def _constant(node) -> bool:
    """An assignment that computes nothing: a literal (`h = 1e-6`), one name to another
    (`Scalar = Value`), a lambda or a table of them (`ACT = {'relu': lambda v: v.relu()}`).
    Anything that computes (`model = MLP(3, [4, 1])`, `c = a * b`) is skipped."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return all(isinstance(t, ast.Name) for t in targets) and _computes_nothing(node.value)


def _clean(cell_source: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The cell's lines with IPython magics, shell escapes and help lines blanked (line numbers kept)."""
    lines, blanked = [], []
    for i, line in enumerate(cell_source.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or re.match(r"^\w+\s*=\s*[!%]", stripped) or _HELP.match(stripped):
            blanked.append((i, line.strip()))
            lines.append("")
        else:
            lines.append(line)
    return lines, blanked


def _segment(lines, node) -> str:
    """The statement's own text: from its first decorator, and only its part of a line it
    shares with others (`d = a + b ; d.label = 'd'`). Offsets are in UTF-8 bytes, as ast gives them."""
    first = min([node] + list(getattr(node, "decorator_list", [])), key=lambda n: (n.lineno, n.col_offset))
    start, col = first.lineno, first.col_offset
    text = [line.encode() for line in lines[start - 1:node.end_lineno]]
    text[-1] = text[-1][:node.end_col_offset]
    if first is not node:  # a decorator: its `@` comes before it
        col = max(text[0].rfind(b"@", 0, col), 0)
    text[0] = text[0][col:]
    return "\n".join(t.decode("utf-8", errors="replace") for t in text)


def _emit(out: Extract, text: str, cell: int, first_line: int) -> None:
    at = out.source.count("\n") + 1
    for offset in range(text.count("\n") + 1):
        out.lines[at + offset] = (cell, first_line + offset)
    out.source += text + "\n"


def extract(text: str, roots=None) -> Extract:
    """The definitions of the code cells of notebook `text`."""
    nbformat = _nbformat()
    if nbformat is None:
        return Extract(error="notebooks need nbformat, a dependency of the kit: reinstall it (pip install -e .)")
    try:
        with warnings.catch_warnings():  # a notebook without cell ids (older Jupyter) is still a notebook
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat raises several kinds for a damaged file
        cells = _plain_cells(text)  # Jupyter still opens a notebook whose metadata fails validation
        if cells is None:
            return Extract(error=f"not a readable notebook ({type(e).__name__})")
        return definitions(cells, roots, notebook=True)
    return definitions([c.get("source", "") for c in nb.cells if c.get("cell_type") == "code"], roots, notebook=True)


def _plain_cells(text: str):
    """The code cells' sources of notebook JSON (format 4) read without validation, or None."""
    try:
        cells = json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(cells, list):
        return None
    found = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            found.append("".join(map(str, source)) if isinstance(source, list) else str(source))
    return found


# What IPython defines in every notebook's namespace and code may use (`__builtin__.sum`).
# Kit lines (cell 0): the integrity scan reads them as the kit's, not the student's.
NOTEBOOK_PRELUDE = "import builtins as __builtin__"


def definitions(cells: list[str], roots=None, notebook=False) -> Extract:
    """The module made of the definitions in `cells` (code cell sources, in order), with every
    top-level binding those definitions read (`random = RNG(42)` used by a Neuron), transitively."""
    out = Extract()
    _emit(out, '"""Generated by micrograde: the definitions only, nothing else is run."""', 0, 0)
    if notebook:
        _emit(out, NOTEBOOK_PRELUDE, 0, 0)
    statements = []  # (cell number, cell lines, node), in notebook order
    for number, source in enumerate(cells, 1):
        if source.lstrip().startswith("%%"):
            out.skipped.append({"cell": number, "line": 1, "code": source.strip().splitlines()[0][:80],
                                "why": "cell magic"})
            continue
        lines, blanked = _clean(source)
        out.skipped += [{"cell": number, "line": i, "code": code[:80], "why": "shell or magic line"}
                        for i, code in blanked]
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError) as e:
            out.skipped.append({"cell": number, "line": getattr(e, "lineno", 1) or 1,
                                "code": (source.strip().splitlines() or [""])[0][:80],
                                "why": f"not valid Python ({type(e).__name__}: {getattr(e, 'msg', e)})"})
            out.unparsable.append({"cell": number, "line": getattr(e, "lineno", 1) or 1,
                                   "error": f"{type(e).__name__}: {getattr(e, 'msg', e)}", "text": source})
            continue
        statements += [(number, lines, node) for node in tree.body]
    needed = dependencies([node for _, _, node in statements], roots)
    optional = _optional_imports([node for _, _, node in statements])
    for number, lines, node in statements:
        segment = _segment(lines, node)
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _emit_guarded(out, segment, "ImportError", number, first)
        elif isinstance(node, KEPT) and _defined_with(node) & optional:
            # `class Net(nn.Module)` after `import torch.nn as nn`: if that library is not
            # installed, this definition alone is missing, not the whole notebook.
            _emit_guarded(out, segment, "Exception", number, first)
        elif isinstance(node, KEPT) or _literal(node) or _docstring(node) or sets_path(node):
            _emit(out, segment, number, first)
        elif _alias(node):  # `Scalar = Value`: another spelling of a definition, kept
            _emit_guarded(out, segment, "Exception", number, first)
        elif id(node) in needed:
            # A binding a definition reads: kept, but a failure here (a file it reads, say) leaves
            # the name undefined for the code that needs it instead of failing every import.
            _emit_guarded(out, segment, "Exception", number, first)
        else:
            out.skipped.append({"cell": number, "line": node.lineno, "code": lines[node.lineno - 1].strip()[:80],
                                "why": "not a definition"})
    out.skipped.sort(key=lambda s: (s["cell"], s["line"]))
    return out


def _optional_imports(nodes) -> set:
    """Names bound by imports of libraries outside the standard library (they may be missing)."""
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names
                         if a.name.split(".")[0] not in sys.stdlib_module_names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level \
                and node.module.split(".")[0] not in sys.stdlib_module_names:
            names.update(a.asname or a.name for a in node.names)
    return names


def _defined_with(node) -> set:
    """Names a class or function statement reads while it is defined: bases, decorators, defaults."""
    parts = list(getattr(node, "decorator_list", []))
    if isinstance(node, ast.ClassDef):
        parts += node.bases + [k.value for k in node.keywords]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}


def _literal(node) -> bool:
    """A constant that names nothing else (`h = 1e-6`, `ACT = {'relu': lambda v: v.relu()}`):
    kept as it is. One that names other bindings (`inputs = [a, b]`) is kept only when a
    definition reads it, together with what it names."""
    return _constant(node) and not (_reads(node) - _LAMBDA_FREE)


_LAMBDA_FREE = {"None", "True", "False"}


def _alias(node) -> bool:
    return isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
        and all(isinstance(t, ast.Name) for t in node.targets)


def _emit_guarded(out: Extract, segment: str, caught: str, cell: int, first: int) -> None:
    indented = "\n".join("    " + line for line in segment.splitlines())
    _emit(out, f"try:\n{indented}\nexcept {caught}:\n    pass", cell, first - 1)


def _reads(node) -> set:
    """The module-level names a statement reads when it runs or when what it defines is
    called: a function's globals, a class body's, decorators, defaults, base classes."""
    try:
        table = symtable.symtable(ast.unparse(node), "<definition>", "exec")
    except (SyntaxError, ValueError, RecursionError):
        return set()
    names, stack = set(), [table]
    while stack:
        scope = stack.pop()
        stack.extend(scope.get_children())
        for symbol in scope.get_symbols():
            if not symbol.is_referenced():
                continue
            if scope.get_type() == "module" or symbol.is_global() \
                    or (scope.get_type() == "class" and not symbol.is_assigned()):
                names.add(symbol.get_name())
    return names


def _binds(node) -> set:
    """The names a statement binds (`a, b = ...`), not those it only mutates (`d.label = ...`)."""
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    names, stack = set(), [t for t in targets if t is not None]
    while stack:
        t = stack.pop()
        if isinstance(t, ast.Name):
            names.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            stack.extend(t.elts)
        elif isinstance(t, ast.Starred):
            stack.append(t.value)
    return names


def _bound(node) -> tuple[set, bool]:
    """(names the statement binds, whether it is a plain assignment the kit can keep)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}, False
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}, False
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return _binds(node), True
    # A loop, a with block, an augmented assignment...: what it binds is the result of a run.
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}, False


def dependencies(nodes, roots=None) -> set:
    """ids of the top-level assignments the kept definitions read, transitively: for each name,
    the last binding in notebook order (what a definition sees once the notebook has run), when
    that is a plain assignment that calls none of the notebook's own functions (a training run).
    `roots`: the names whose definitions must work (the contract's); None: every definition."""
    functions = {n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    last = {}
    for node in nodes:
        names, plain = _bound(node)
        for name in names:
            last[name] = (node, plain)
    defs = {n.name: n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    start = [n for n in defs.values() if roots is None or isinstance(n, ast.ClassDef) or n.name in roots]
    wanted, chosen, queue = set(), set(), list(start)
    while queue:
        node = queue.pop()
        for name in _reads(node) - wanted:
            wanted.add(name)
            binding, plain = last.get(name, (None, False))
            if binding is None:
                continue
            if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                queue.append(binding)
            elif plain and not _literal(binding) and id(binding) not in chosen \
                    and not _calls_any(binding.value, functions):
                chosen.add(id(binding))
                queue.append(binding)
    return chosen


def _calls_any(value, names) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
               for n in ast.walk(value))


def _docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
