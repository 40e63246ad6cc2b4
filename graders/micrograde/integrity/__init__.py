"""Integrity findings: what a micrograd solution never needs, found without running it.

- `scan_submission(root)`: the static scan (syntax trees only; the code is never run).
- `record(rule, detail)`: runtime evidence from the grading process (the worker's client).
- `stub_contradictions(definitions, tests)`: stubs whose checks passed anyway.
- `Findings`, `finding`: the bounded, ordered collection a report's `integrity` list comes from.
- Rule names and meanings: `rules`, read from specs/report.schema.json.
"""
from .contradictions import stub_contradictions
from .findings import RUNTIME, Finding, Findings, finding, record
from .static import StaticFacts, scan_submission, static_facts

__all__ = ["RUNTIME", "Finding", "Findings", "StaticFacts", "finding", "record", "scan_submission",
           "static_facts", "stub_contradictions"]
