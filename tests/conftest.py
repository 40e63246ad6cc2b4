"""Load a `micrograd` package from a given folder under its own name.

reference/ and student_template/ both hold a package called `micrograd`; importing
them by that name would let one shadow the other (and any submission a test imports).
Each is therefore loaded under a unique top-level alias, e.g. `micrograd_reference`.
"""
import importlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

KIT_ROOT = Path(__file__).resolve().parents[1]


def _contract_modules():
    contract = json.loads((KIT_ROOT / "specs" / "contract.json").read_text())
    return [module["name"] for module in contract["modules"]]


def _load(folder: str):
    alias = f"micrograd_{Path(folder).name}"
    if alias not in sys.modules:
        package_dir = KIT_ROOT / folder / "micrograd"
        spec = importlib.util.spec_from_file_location(
            alias, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[alias] = package
        spec.loader.exec_module(package)
        for name in _contract_modules():  # also sets package.<name>
            importlib.import_module(f"{alias}.{name}")
    return sys.modules[alias]


@pytest.fixture(scope="session")
def load_micrograd():
    """load_micrograd("reference") -> the package, with every contract module imported."""
    return _load
