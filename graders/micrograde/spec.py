"""Where the kit's specs live, and the machine-readable contract in specs/contract.json."""
import functools
import inspect
import json
import re
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = KIT_ROOT / "specs"
GRADERS = KIT_ROOT / "graders"
# The public seed: what students' runs use unless told otherwise. Exports show any other
# seed as "private" (report/text.py), so it lives here, below everything that reads it.
DEFAULT_SEED = 2026

# A function used as a default value prints as "<function mse_loss at 0x7f...>": the
# address changes from run to run, so the contract writes just the function's name.
_FUNCTION_REPR = re.compile(r"<function ([\w.<>]+) at 0x[0-9a-fA-F]+>")


@functools.lru_cache(maxsize=1)
def load_contract() -> dict:
    return json.loads((SPECS_DIR / "contract.json").read_text())


def contract_names() -> list[tuple[str, str, str]]:
    """(module, qualified name, milestone) for every class, function and method."""
    names = []
    for module in load_contract()["modules"]:
        for member in module["members"]:
            names.append((module["name"], member["name"], member["milestone"]))
            for method in member.get("methods", []):
                names.append((module["name"], f"{member['name']}.{method['name']}", method["milestone"]))
    return names


def course_operation_methods() -> dict:
    """operation (as course.toml names it) -> the engine.Value method it asks for."""
    return dict(load_contract().get("course_operations", {}).get("methods", {}))


def contract_attributes() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(module, class, attribute, accepted aliases) for every instance attribute a class must set."""
    return [
        (module["name"], member["name"], attr["name"], tuple(attr.get("aliases", ())))
        for module in load_contract()["modules"]
        for member in module["members"]
        for attr in member.get("attributes", [])
    ]


def signature_text(obj) -> str:
    """str(inspect.signature(obj)), with function defaults shown by name (as in contract.json)."""
    return _FUNCTION_REPR.sub(r"\1", str(inspect.signature(obj)))
