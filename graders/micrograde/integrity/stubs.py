"""Which contract functions a submission defines, and which of them are still stubs.

A stub is a body that only raises NotImplementedError (after its docstring), as every
function of student_template/ does. Read from the same syntax trees the scan uses.
"""
import ast


def _raises_not_implemented(stmt) -> bool:
    if not isinstance(stmt, ast.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def is_stub(fn) -> bool:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return len(body) == 1 and _raises_not_implemented(body[0])


def definitions(tree) -> dict[str, list[bool]]:
    """Qualified name ("Value.__add__", "mse_loss") -> is_stub, for each definition in `tree`.

    Names bound by assignment (`__radd__ = __add__`, `Value.relu = relu`) are real code."""
    found: dict[str, list[bool]] = {}

    def add(name, stub):
        found.setdefault(name, []).append(stub)

    def body(statements, prefix):
        for stmt in statements:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                add(prefix + stmt.name, is_stub(stmt))
            elif isinstance(stmt, ast.ClassDef) and not prefix:
                body(stmt.body, stmt.name + ".")
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        add(prefix + target.id, False)
                    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and not prefix:
                        add(f"{target.value.id}.{target.attr}", False)
            elif isinstance(stmt, (ast.If, ast.Try)) and not prefix:
                body(stmt.body, prefix)  # `if TYPE_CHECKING:` / `try: import numpy` blocks
    body(tree.body, "")
    return found
