"""Contradictions between what the source says and what the answers say.

A milestone whose contract functions are all NotImplementedError stubs cannot pass a
check by itself: if its checks pass anyway, something other than the submission's own
code answered (a takeover of the worker, a patched probe).
"""
from .. import spec
from .findings import Finding, finding


def contract_callables() -> dict[str, str]:
    """Qualified name -> milestone, for every function and method the contract asks for
    (constructors included: a stub __init__ is as much a stub as a stub method)."""
    names = {}
    for module in spec.load_contract()["modules"]:
        for member in module["members"]:
            if member.get("kind") == "class":
                names[f"{member['name']}.__init__"] = member["milestone"]
                for method in member.get("methods", []):
                    names[f"{member['name']}.{method['name']}"] = method["milestone"]
            else:
                names[member["name"]] = member["milestone"]
    return names


def stub_contradictions(definitions: dict[str, list[bool]], tests: list[dict]) -> list[Finding]:
    """`definitions`: name -> is_stub per definition; `tests`: the report's check entries."""
    wanted = contract_callables()
    found = []
    for milestone in sorted({m for m in wanted.values()}):
        mine = {n: stubs for n, stubs in definitions.items() if wanted.get(n) == milestone}
        if not mine or not all(all(stubs) for stubs in mine.values()):
            continue
        passed = [t["name"] for t in tests
                  if t["milestone"] == milestone and t["status"] == "passed" and t["max_score"] > 0]
        if passed:
            found.append(finding(
                "stub_contradiction",
                f"all {len(mine)} {milestone.upper()} functions found raise NotImplementedError, yet "
                f"{len(passed)} {milestone.upper()} checks passed (e.g. {passed[0]})"))
    return found
