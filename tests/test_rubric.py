"""specs/rubric.json is the one source of the milestones, their checks and points: every
other place that names milestones agrees with it."""
import json
import re

from micrograde import rubric
from micrograde.spec import KIT_ROOT, SPECS_DIR, load_contract


def test_the_milestones_are_the_rubrics_entries_with_checks():
    data = json.loads((SPECS_DIR / "rubric.json").read_text())
    assert rubric.MILESTONES == tuple(k for k, v in data.items() if isinstance(v, dict) and "checks" in v)
    assert rubric.MILESTONES == ("m1", "m2", "m3", "m4")
    assert all(rubric.title(m) for m in rubric.MILESTONES)


def test_the_report_schema_enumerates_exactly_the_rubrics_milestones():
    schema = json.loads((SPECS_DIR / "report.schema.json").read_text())
    enums = []

    def walk(node, path):
        if isinstance(node, dict):
            if "enum" in node and "milestone" in path:
                enums.append((path, node["enum"]))
            for key, value in node.items():
                walk(value, f"{path}/{key}")

    walk(schema, "")
    assert len(enums) >= 2, enums  # the milestones' totals and each check's milestone
    assert all(enum == list(rubric.MILESTONES) for _, enum in enums), enums


def test_every_contract_name_belongs_to_a_rubric_milestone():
    contract = load_contract()
    milestones = {module["milestone"] for module in contract["modules"]}
    milestones |= {m["milestone"] for module in contract["modules"] for m in module["members"]}
    milestones |= {meth["milestone"] for module in contract["modules"] for m in module["members"]
                   for meth in m.get("methods", [])}
    assert milestones <= set(rubric.MILESTONES)


def test_every_grader_test_has_a_rubric_entry_and_back():
    found = set()
    for milestone in rubric.MILESTONES:
        for path in (KIT_ROOT / "graders" / milestone).glob("test_*.py"):
            found |= {(milestone, n) for n in re.findall(r"^def (test_\w+)", path.read_text(), re.M)}
    templates = {(m, n) for m in rubric.MILESTONES for n, _ in rubric.operation_checks(m, [rubric.OPERATION])}
    assert found == {(m, n) for m, n, _ in rubric.checks()} | templates
    suites = sorted(p.name for p in (KIT_ROOT / "graders").iterdir() if re.fullmatch(r"m\d+", p.name))
    assert suites == list(rubric.MILESTONES)


def test_no_module_of_the_kit_writes_its_own_milestone_list():
    # Milestone names appear as string literals only in specs/: the code reads rubric.MILESTONES.
    package = KIT_ROOT / "graders" / "micrograde"
    literal = re.compile(r"""["']m[1-9]["']""")
    offenders = [f"{p.relative_to(package)}" for p in package.rglob("*.py") if literal.search(p.read_text())]
    assert offenders == []
