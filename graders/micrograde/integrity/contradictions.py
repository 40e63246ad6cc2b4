"""Contradictions between what the source says and what the answers say.

A check exercises the code of its own milestone and of the milestones before it (M4's
"the grader's loop trains your MLP" runs only M1–M3 code). So when every contract function
of a milestone and of all earlier ones is a NotImplementedError stub, or not in the source
at all, none of that milestone's checks can pass by itself: if one passes anyway,
something other than the submission's own code answered (a takeover, a patched probe).
"""
from .. import rubric, spec
from .findings import Finding, finding


def contract_callables() -> dict[str, tuple[str, str]]:
    """Name as it may appear in the source -> (the contract's name, milestone), for every
    function and method the contract asks for, under each accepted alias (`Scalar.__add__`,
    `mse`). Constructors included: a stub __init__ is as much a stub as a stub method."""
    names = {}
    for module in spec.load_contract()["modules"]:
        for member in module["members"]:
            spellings = [member["name"], *member.get("aliases", [])]
            if member.get("kind") == "class":
                methods = [{"name": "__init__", "milestone": member["milestone"]}, *member.get("methods", [])]
                for method in methods:
                    canonical = f"{member['name']}.{method['name']}"
                    for cls in spellings:
                        for name in [method["name"], *method.get("aliases", [])]:
                            names[f"{cls}.{name}"] = (canonical, method["milestone"])
            else:
                for name in spellings:
                    names[name] = (member["name"], member["milestone"])
    return names


# Checks of a milestone that run none of its own functions: the grader's own SGD loop drives
# the submission's MLP (M3 code). Passing them says nothing about the milestone's functions
# (the original micrograd, with no M4 code at all, rightly passes this one).
RUN_NO_FUNCTION_OF_THEIR_MILESTONE = {"test_your_mlp_trained_by_the_graders_loop_converges"}


def stub_contradictions(definitions: dict[str, list[bool]], tests: list[dict]) -> list[Finding]:
    """`definitions`: name -> is_stub per definition; `tests`: the report's check entries.

    A milestone contradicts its answers when some of its checks passed although every
    contract function found up to it is a stub, or none of them is defined anywhere."""
    spellings = contract_callables()
    expected: dict[str, set] = {}
    for canonical, milestone in spellings.values():
        for later in rubric.MILESTONES[rubric.MILESTONES.index(milestone):]:
            expected.setdefault(later, set()).add(canonical)
    stubs: dict[str, list[bool]] = {}
    for name, found_stubs in definitions.items():
        if name in spellings:
            stubs.setdefault(spellings[name][0], []).extend(found_stubs)
    found = []
    for milestone in sorted(expected):
        mine = {n: s for n, s in stubs.items() if n in expected[milestone]}
        if mine and not all(all(s) for s in mine.values()):
            continue
        passed = [t["name"] for t in tests
                  if t["milestone"] == milestone and t["status"] == "passed" and t["max_score"] > 0
                  and t["name"] not in RUN_NO_FUNCTION_OF_THEIR_MILESTONE]
        if not passed:
            continue
        m = milestone.upper()
        state = (f"all {len(mine)} contract functions up to {m} found raise NotImplementedError" if mine else
                 f"none of the {len(expected[milestone])} contract functions up to {m} is defined in the source")
        found.append(finding("stub_contradiction", f"{state}, yet {len(passed)} {m} checks passed (e.g. {passed[0]})"))
    return found
