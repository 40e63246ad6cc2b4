"""The contract's names, judged apart from the arithmetic: a Value spelled `value`, or whose
operands sit in `.prev`, is graded through its own names everywhere, and the deviation costs
only the checks about names (M1's construction and structure checks), once each, with
feedback that names it. Grader side: believes the static layout first, then what the worker saw."""
from .layout.discover import AUTOGRAD, ROLE_SPELLINGS as _SPELLINGS, contract_members

_CLASS = {m.key: (m.name, *m.aliases) for m in contract_members() if m.key == AUTOGRAD}


def _at(entry: dict) -> str:
    return f"{entry['file']} cell {entry['cell']}, line {entry['line']}" if "cell" in entry else \
        f"{entry['file']}:{entry['line']}"


def deviations(layout, roles=(), seen=None, with_class=False) -> list[str]:
    """What the submission spells otherwise than the contract, among the autograd class's name
    (`with_class`) and its attributes `roles` ("data", "_prev", ...): from the layout's static
    mapping, and from `seen` ({role: attribute the worker found it under})."""
    found = []
    for key, accepted in _CLASS.items():
        entry = layout.names.get(key, {})
        if not entry.get("found"):
            continue
        if with_class and entry["name"] not in accepted:
            found.append(f"your autograd class is called {entry['name']} ({_at(entry)}); the contract calls it "
                         f"{' or '.join(accepted)}")
        for role in roles:
            own = layout.attributes.get(role) or (seen or {}).get(role)
            if own and own not in _SPELLINGS[role]:
                found.append(f"it keeps {_what(role)} in .{own}; the contract names it "
                             f"{' or '.join('.' + s for s in _SPELLINGS[role])}")
    return found


def _what(role: str) -> str:
    return {"data": "its number", "grad": "its gradient", "_prev": "its operands", "_op": "its operation",
            "_backward": "its local backward function"}.get(role, role)


def expect_contract_names(layout, roles=(), seen=None, with_class=False) -> None:
    found = deviations(layout, roles, seen, with_class)
    if found:
        raise AssertionError("; ".join(found) + ". Everything else is graded through your own names, so only "
                                                "the checks about names lose points for this")
