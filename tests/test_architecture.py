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
