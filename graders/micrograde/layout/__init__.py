"""Where a submission's code is: each contract name found by static analysis, never by running it.

`discover(folder)` reads the submission's Python files and notebook code cells with `ast`
(in the grading process; nothing of the submission is executed here) and returns a
`Layout`: for every contract name, the file and line it was found at and the module the
worker must import it from, or where the grader looked when it was not found.
"""
from .discover import Layout, LayoutError, discover

__all__ = ["Layout", "LayoutError", "discover"]
