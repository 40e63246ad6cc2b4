"""The package's layering, checked on its source: the core never depends on the CLI."""
import ast
from pathlib import Path

import micrograde

PACKAGE = Path(micrograde.__file__).resolve().parent


def _imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of the micrograde modules that `source` (module `module`) imports."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {target} | {f"{target}.{a.name}" for a in node.names}
    return {name for name in found if name == "micrograde" or name.startswith("micrograde.")}


def _imports_of(path: Path) -> set[str]:
    module = ".".join(("micrograde", *path.relative_to(PACKAGE).with_suffix("").parts))
    return _imports(path.read_text(), module.removesuffix(".__init__"), path.name == "__init__.py")


def _is_cli(name: str) -> bool:
    return name == "micrograde.cli" or name.startswith("micrograde.cli.")


def test_the_core_imports_nothing_from_the_cli():
    core = [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"]
    assert len(core) > 30
    assert sorted(f"{p.relative_to(PACKAGE)}: {n}" for p in core for n in _imports_of(p) if _is_cli(n)) == []


def test_the_import_scan_sees_every_way_of_importing_the_cli():
    # The check above can fail: relative, absolute and package-relative imports are all seen.
    for source, module in [("from .cli.limits import flags", "micrograde.grading"),
                           ("from ..cli import main", "micrograde.report.build"),
                           ("import micrograde.cli.grade", "micrograde.batch.runner"),
                           ("from .. import cli", "micrograde.worker.client")]:
        assert any(_is_cli(n) for n in _imports(source, module)), source


def _module_name(path: Path) -> str:
    return ".".join(("micrograde", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def _import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """module -> the modules it imports (at any depth of its code), each import resolved to
    the module that defines the name: `from ..spec import KIT_ROOT` is an edge to spec, and
    `from . import render` one to the submodule render, not to its package."""
    def defining_module(name):
        while name not in sources and "." in name:
            name = name.rsplit(".", 1)[0]
        return name if name in sources else None

    def imported(text, module, is_package):
        package = module if is_package else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                yield from (a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                yield from (f"{target}.{a.name}" for a in node.names)

    return {module: {m for n in imported(text, module, is_package) if (m := defining_module(n)) not in (None, module)}
            for module, (text, is_package) in sources.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan, iteratively)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_the_package_has_no_import_circles():
    # Imports inside functions count too: they are how a circle is usually hidden.
    sources = {_module_name(p): (p.read_text(), p.name == "__init__.py") for p in PACKAGE.rglob("*.py")}
    assert len(sources) > 30
    assert _circles(_import_graph(sources)) == []


def test_the_circle_check_finds_a_circle_through_a_function_level_import():
    sources = {"micrograde.grading": ("from .report import text\nDEFAULT_SEED = 1", False),
               "micrograde.report": ("", True),
               "micrograde.report.text": ("def label():\n    from ..grading import DEFAULT_SEED\n", False),
               "micrograde.spec": ("", False)}
    assert _circles(_import_graph(sources)) == [["micrograde.grading", "micrograde.report.text"]]
