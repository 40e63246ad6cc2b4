"""Static facts about a submission, gathered once in the grading process: findings from the
scan, and which contract functions are stubs (for the contradiction check at the end)."""
from dataclasses import dataclass, field, replace

from . import scan, sources, stubs
from .findings import Findings, finding


@dataclass
class StaticFacts:
    findings: Findings = field(default_factory=Findings)
    definitions: dict = field(default_factory=dict)  # qualified name -> [is_stub, ...]


def scan_submission(root, layout=None) -> StaticFacts:
    """`layout`: the grader's resolved layout, so the scan reads what the worker imports."""
    facts = StaticFacts()
    own = sources.own_modules(root)
    if layout is None:
        from ..layout import discover
        layout = discover(root)
    for source in sources.sources(root, layout):
        if isinstance(source, sources.Unreadable):
            facts.findings.add_finding(finding("unscannable", source.reason, source.file))
            continue
        tree, problem = scan.parse(source.text, source.file, source.line_offset)
        if tree is None:
            if problem:
                facts.findings.add_finding(problem)
            elif source.origin is not None:  # the worker imports this very text: it must be read
                facts.findings.add("unscannable", "the module made of its definitions does not parse here",
                                   source.file)
            continue
        for found in scan.scan_tree(tree, source.file, own, source.line_offset):
            if source.kit_line(found.line):
                continue  # the generated module's own prelude, not the student's code
            file, line = source.place(found.line)
            facts.findings.add_finding(replace(found, file=file, line=line))
        for name, found in stubs.definitions(tree).items():
            facts.definitions.setdefault(name, []).extend(found)
    return facts


def static_facts(root, layout=None) -> StaticFacts:
    """scan_submission(), for the grading run: a fault of the scan costs a finding, never the grade."""
    try:
        return scan_submission(root, layout)
    except Exception as e:  # noqa: BLE001 - the grade must go on; the instructor sees why
        facts = StaticFacts()
        facts.findings.add("unscannable", f"the scan itself failed ({type(e).__name__}: {e}); review by hand")
        return facts
