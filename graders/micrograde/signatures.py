"""Quoting the contract's signature when the submission's own signature did not fit a call.

A probe calls `Neuron(3, activation='relu')` as the contract says; a submission written
to another signature raises TypeError ("unexpected keyword argument 'activation'"). The
feedback then says which signature the contract expects, read from specs/contract.json.
"""
import functools
import re

from .spec import load_contract

_CALL_ERROR = re.compile(r"\b([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\(\) (?:got an unexpected keyword argument|"
                         r"got multiple values|takes|missing \d+ required)")


@functools.lru_cache(maxsize=1)
def _signatures() -> dict:
    """(name, method or None) -> "Name(signature)", under every accepted spelling."""
    table = {}
    for module in load_contract()["modules"]:
        for member in module["members"]:
            for spelled in (member["name"], *member.get("aliases", ())):
                shown = f"{member['name']}{member['signature']}"
                table[(spelled, None)] = table[(spelled, "__init__")] = shown
                for method in member.get("methods", []):
                    table[(spelled, method["name"])] = f"{member['name']}.{method['name']}{method['signature']}"
    return table


def hint(type_name: str, message: str) -> str:
    """'' or a line quoting the contract's signature of the callable a TypeError names."""
    if type_name != "TypeError":
        return ""
    match = _CALL_ERROR.search(message or "")
    if not match:
        return ""
    owner, method = match.groups()
    shown = _signatures().get((owner, method)) if method else _signatures().get((owner, None))
    return f"the contract's signature is {shown}" if shown else ""
