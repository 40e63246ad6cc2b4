"""The score report: one JSON document per grading run, and everything rendered from it."""
from .io import load_report, validate_report, write_report

__all__ = ["load_report", "validate_report", "write_report"]
