"""Integrity findings: what a micrograd solution never needs, found without running it.

- `record(rule, detail)`: add runtime evidence from the grading process (the worker client).
- `Findings`, `finding`: the bounded, ordered collection a report's `integrity` list comes from.
- rule names and meanings: `rules`, read from specs/report.schema.json.
"""
from .findings import RUNTIME, Finding, Findings, finding, record

__all__ = ["RUNTIME", "Finding", "Findings", "finding", "record"]
