"""Contradictions between what the source says and what the answers say.

A check runs the contract functions of its milestone. When every one of them found in the
source is a stub (a body that does nothing: pass, return None, a raise), or none is there at all, the check cannot pass by
itself: if it passes anyway, something other than the submission's own code answered (a
takeover of the worker, a patched probe).
"""
from .. import rubric, spec
from .findings import Finding, finding


def contract_callables(layout_imports: dict | None = None) -> dict[str, tuple[str, str]]:
    """Name as it may appear in the source -> (the contract's name, milestone), for every
    function and method the contract asks for, under each accepted alias (`Scalar.__add__`,
    `mse`) and under the name the grading run's layout found it by (`layout_imports`, the
    resolved layout's import map: {"engine.Value": {"module", "attr"}}; an instructor's
    `--layout` included). Constructors included: a stub __init__ is as much a stub as a stub method."""
    names = {}
    for module in spec.load_contract()["modules"]:
        for member in module["members"]:
            found = (layout_imports or {}).get(f"{module['name']}.{member['name']}") or {}
            resolved = [str(found["attr"]).rsplit(".", 1)[-1]] if found.get("attr") else []
            spellings = [member["name"], *member.get("aliases", []), *resolved]
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


# Checks that run the code of the milestones before theirs, not their own: the grader's own
# SGD loop drives the submission's MLP (M1-M3 code; the original micrograd, with no M4 code
# at all, rightly passes it).
RUN_EARLIER_MILESTONES = {"test_your_mlp_trained_by_the_graders_loop_converges"}


def stub_contradictions(definitions: dict[str, list[bool]], tests: list[dict],
                        layout_imports: dict | None = None) -> list[Finding]:
    """`definitions`: name -> is_stub per definition; `tests`: the report's check entries;
    `layout_imports`: where the grading run found each contract name (the same layout the
    worker imports from).

    A milestone contradicts its answers when some of its checks passed although every
    contract function those checks run is a stub, or none of them is defined anywhere."""
    spellings = contract_callables(layout_imports)
    stubs: dict[str, list[bool]] = {}
    for name, found_stubs in definitions.items():
        if name in spellings:
            stubs.setdefault(spellings[name][0], []).extend(found_stubs)

    def runs(check) -> set:
        """The contract functions `check` runs."""
        own = rubric.MILESTONES.index(check["milestone"])
        milestones = rubric.MILESTONES[:own] if check["name"] in RUN_EARLIER_MILESTONES else [check["milestone"]]
        return {canonical for canonical, milestone in spellings.values() if milestone in milestones}

    found = []
    for milestone in rubric.MILESTONES:
        passed = [t for t in tests if t["milestone"] == milestone and t["status"] == "passed" and t["max_score"] > 0]
        forged = []
        for check in passed:
            needed = runs(check)
            mine = {n: s for n, s in stubs.items() if n in needed}
            if not mine or all(all(s) for s in mine.values()):
                forged.append((check["name"], mine, needed))
        if not forged:
            continue
        m = milestone.upper()
        name, mine, needed = forged[0]
        state = (f"all {len(mine)} contract functions it runs are stubs that do nothing (pass, return None or a raise)" if mine else
                 f"none of the {len(needed)} contract functions it runs is defined in the source")
        found.append(finding("stub_contradiction", f"{len(forged)} {m} checks passed (e.g. {name}), yet {state}"))
    return found
