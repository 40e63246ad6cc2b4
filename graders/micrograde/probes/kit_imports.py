"""Which kit modules a piece of instructor code imports: the one test, on both sides of
the trust boundary, that keeps the kit (its trusted side above all) out of the worker.
Standard library only."""
import ast

_KIT = "micrograde"


def kit_imports(source: str) -> list[str]:
    """The kit modules `source` imports, or names in a string (for __import__, importlib)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == _KIT]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == _KIT:
            found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.split(".")[0] == _KIT:
            found.append(node.value)
    return found
