"""The module a source file is imported as, and the folder that must be on sys.path for it.

Python decides this from the folders: a folder with `__init__.py` is a package. Many
submissions have no `__init__.py` and import their own code as namespace packages
(`from core.engine import Value`) or as flat modules (`from engine import Value`), so the
submission's own imports are read too: the file is given the longest dotted name that is
both valid and the way the submission itself refers to it. A file that uses relative
imports is given a package, as it needs one.
"""
from pathlib import PurePosixPath
import keyword


def _identifier(part: str) -> bool:
    return part.isidentifier() and not keyword.iskeyword(part)


def _used(chain: list[str], imports: set) -> bool:
    """The submission imports this package (or something in it, or a package above it)."""
    package = ".".join(chain)
    return any(i == package or i.startswith(package + ".") or package.startswith(i + ".") for i in imports)


def import_name(rel: str, packages: set, imports: set, relative_level: int = 0,
                flat: bool = False) -> tuple[str, str]:
    """(root folder, dotted module name) for the file at `rel` (POSIX, relative to the submission).

    `packages` are the folders holding an `__init__.py`; `imports` every absolute module
    name the submission's files import. `flat`: the files of this folder import each other
    by bare name (`from engine import Value` in core/nn.py), so the folder must be the root
    whatever other files call the package: that is the name under which the code works.
    """
    path = PurePosixPath(rel)
    dirs = list(path.parent.parts)
    stem = path.stem
    if flat and relative_level == 0 and stem != "__init__":
        return "/".join(dirs) or ".", stem
    if stem == "__init__":
        if not dirs:
            return ".", ""
        stem = dirs.pop()
        relative_level = max(relative_level - 1, 0)
    best = 0
    for depth in range(1, len(dirs) + 1):
        chain = dirs[len(dirs) - depth:]
        if not all(_identifier(p) for p in chain):
            break
        regular = all("/".join(dirs[:len(dirs) - depth + i + 1]) in packages for i in range(depth))
        if regular or _used(chain, imports) or depth <= relative_level:
            best = depth
    chain = dirs[len(dirs) - best:] if best else []
    root = "/".join(dirs[:len(dirs) - best]) or "."
    return root, ".".join(chain + [stem])


def resolve_relative(module: str, is_package: bool, level: int, target: str) -> str:
    """The absolute name of `from <level dots><target> import ...` written in `module`."""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    parts = parts[:len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(parts + ([target] if target else []))
