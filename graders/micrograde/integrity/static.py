"""Static facts about a submission, gathered once in the grading process: findings from the
scan, and which contract functions are stubs (for the contradiction check at the end)."""
from dataclasses import dataclass, field

from . import scan, sources, stubs
from .findings import Findings, finding


@dataclass
class StaticFacts:
    findings: Findings = field(default_factory=Findings)
    definitions: dict = field(default_factory=dict)  # qualified name -> [is_stub, ...]


def scan_submission(root) -> StaticFacts:
    facts = StaticFacts()
    own = sources.own_modules(root)
    for source in sources.sources(root):
        if isinstance(source, sources.Unreadable):
            facts.findings.add_finding(finding("unscannable", source.reason, source.file))
            continue
        tree, problem = scan.parse(source.text, source.file, source.line_offset)
        if tree is None:
            if problem:
                facts.findings.add_finding(problem)
            continue
        facts.findings.extend(scan.scan_tree(tree, source.file, own, source.line_offset))
        for name, found in stubs.definitions(tree).items():
            facts.definitions.setdefault(name, []).extend(found)
    return facts


def static_facts(root) -> StaticFacts:
    """scan_submission(), for the grading run: a fault of the scan costs a finding, never the grade."""
    try:
        return scan_submission(root)
    except Exception as e:  # noqa: BLE001 - the grade must go on; the instructor sees why
        facts = StaticFacts()
        facts.findings.add("unscannable", f"the scan itself failed ({type(e).__name__}: {e}); review by hand")
        return facts
