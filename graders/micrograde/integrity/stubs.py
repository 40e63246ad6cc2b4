"""Which contract functions a submission defines, and which of them are still stubs.

A stub is a body that does nothing: after its docstring, only `pass`, `...`, constants,
`return` / `return None`, or a `raise` of anything (NotImplementedError, as every
function of student_template/ does, or any other). Such a function computes nothing, so
a check that needs it cannot pass on it. Read from the same syntax trees the scan uses.
"""
import ast


def _does_nothing(stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return True  # a docstring, `...`, a stray string
    if isinstance(stmt, ast.Return):
        return stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
    return isinstance(stmt, ast.Raise)


def is_stub(fn) -> bool:
    """Every statement does nothing, and the last one ends the function (or it just falls off)."""
    return all(_does_nothing(stmt) for stmt in fn.body)


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
