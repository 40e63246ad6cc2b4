"""The code a submission holds, as the scan reads it: Python files and notebook code cells.

The same file selection as the worker's copy (micrograde.submission.files), so what is
scanned is what can run. Compiled extension modules cannot be read, and a file far larger
than any micrograd solution is not parsed (parsing is the grading process's time and
memory): both become findings rather than silent gaps.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from .. import submission as submission_files

MAX_SOURCE_BYTES = 512 * 1024       # per file or notebook cell; the reference is 16 KB in all
MAX_TOTAL_BYTES = 4 * 1024 * 1024   # per submission: parsing costs the grading process memory and time
NATIVE = (".so", ".pyd", ".dylib", ".dll")
MAGIC = ("%", "!", "?")             # IPython magics and shell escapes: not Python, never run here
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun", "%%debug")  # their body is Python


@dataclass(frozen=True)
class Source:
    file: str           # as shown in findings: "micrograd/engine.py", "work.ipynb#cell-3"
    text: str | bytes   # bytes for .py files: Python decodes them by their own coding cookie
    line_offset: int = 0


@dataclass(frozen=True)
class Unreadable:
    file: str
    reason: str


def _cells(rel: str, data: bytes):
    try:
        notebook = json.loads(data)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        yield Unreadable(rel, "a notebook that is not valid notebook JSON")
        return
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(str(s) for s in source) if isinstance(source, list) else str(source)
        if text.lstrip().startswith("%%") and not text.lstrip().startswith(PYTHON_CELL_MAGICS):
            continue  # %%bash, %%html...: not Python
        # Keep line numbers: a magic line (`%matplotlib`, `!pip`, `obj?`) becomes an empty comment.
        lines = ["#" if line.lstrip().startswith(MAGIC) or line.rstrip().endswith("?") else line
                 for line in text.split("\n")]
        yield Source(f"{rel}#cell-{index + 1}", "\n".join(lines))


def sources(root):
    """Source and Unreadable entries for the submission folder `root`, in a fixed order.

    Sizes count code only: a notebook's outputs (plots, often megabytes) are not code."""
    root = Path(root)
    total = 0
    for rel_path in submission_files.files(root):
        rel = rel_path.as_posix()
        name = rel_path.name.lower()
        if name.endswith(NATIVE) or ".so." in name:
            yield Unreadable(rel, "a compiled extension module: its code cannot be read")
            continue
        if not name.endswith((".py", ".pyw", ".ipynb")):
            continue
        data = (root / rel_path).read_bytes()
        found = list(_cells(rel, data)) if name.endswith(".ipynb") else [Source(rel, data)]
        for source in found:
            size = len(source.text) if isinstance(source, Source) else 0
            if size > MAX_SOURCE_BYTES:
                yield Unreadable(source.file, f"{size // 1024} KiB of code, too large to scan "
                                              f"(limit {MAX_SOURCE_BYTES // 1024} KiB)")
                continue
            total += size
            if total > MAX_TOTAL_BYTES:
                yield Unreadable(source.file, f"the scan stopped here: over {MAX_TOTAL_BYTES // 2**20} MiB of code in all")
                return
            yield source


def own_modules(root) -> frozenset:
    """Top-level module names the submission itself provides (its imports of them are its own)."""
    names = set()
    for rel_path in submission_files.files(root):
        names.update(rel_path.parts[:-1])  # any folder may be a package on the path (nested layouts)
        if rel_path.suffix == ".py":
            names.add(rel_path.stem)
    return frozenset(names)
