"""The code a submission runs, as the scan reads it: exactly the module text the worker imports.

The same file selection as the worker's copy (micrograde.submission.files), read through the
same resolved layout the grader uses (micrograde.layout): a notebook, or a script read for its
definitions only, is scanned as the module generated from it, after every rewrite the worker
sees (magics, shell lines and statements that are never run are not there), and its findings
are placed back in the student's file, cell and line. A notebook no contract name comes from
is never run, so it is no evidence. Every other Python file is scanned as it is. Compiled extension modules cannot be read, and a file far larger
than any micrograd solution is not parsed (parsing is the grading process's time and
memory): both become findings rather than silent gaps.
"""
import functools
import importlib.machinery
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import submission as submission_files

MAX_SOURCE_BYTES = 512 * 1024       # per file or notebook cell; the reference is 16 KB in all
MAX_TOTAL_BYTES = 4 * 1024 * 1024   # per submission: parsing costs the grading process memory and time
NATIVE = (".so", ".pyd", ".dylib", ".dll")


@dataclass(frozen=True)
class Source:
    file: str           # as shown in findings: "micrograd/engine.py", "work.ipynb"
    text: str | bytes   # bytes for .py files: Python decodes them by their own coding cookie
    line_offset: int = 0
    origin: object = None  # for a generated module: {its line: (cell, line)} in the student's file

    def kit_line(self, line) -> bool:
        """A line the kit wrote into a generated module (cell 0), not copied from the student."""
        return self.origin is not None and line is not None and self.origin.get(line, (1, 0))[0] == 0

    def place(self, line):
        """(file, line) in the student's coordinates for a line of the scanned text."""
        if self.origin is None or line is None:
            return self.file, line
        cell, own = self.origin.get(line, (0, line))
        return (f"{self.file}#cell-{cell}" if self.file.endswith(".ipynb") and cell else self.file), own


@dataclass(frozen=True)
class Unreadable:
    file: str
    reason: str


def sources(root, layout=None):
    """Source and Unreadable entries for the submission folder `root`, in a fixed order.
    `layout`: the grader's resolved layout (discovered here when not given, without override).

    Sizes count code only: a notebook's outputs (plots, often megabytes) are not code."""
    root = Path(root)
    if layout is None:
        from ..layout import discover
        layout = discover(root)
    generated = {origin: (text, extract.lines) for rel, text in layout.generated.items()
                 for origin, extract in [layout.origins[rel]]}
    running = layout.running_files()
    roots = {PurePosixPath(p).as_posix() for p in (*layout.paths, ".")}
    total = 0
    for rel_path in submission_files.files(root):
        rel = rel_path.as_posix()
        name = rel_path.name.lower()
        if name.endswith(NATIVE) or ".so." in name:
            yield Unreadable(rel, "a compiled extension module: its code cannot be read")
            continue
        if not name.endswith((".py", ".pyw", ".ipynb")):
            continue
        if rel in generated:  # what the worker imports instead of the file: its definitions-only module
            text, lines = generated[rel]
            source = Source(rel, text, origin=lines)
        elif name.endswith(".ipynb"):
            continue  # no contract name comes from it: the worker never runs it
        elif rel in running or _shadows(rel_path, roots):
            source = Source(rel, (root / rel_path).read_bytes())
        else:
            continue  # nothing the worker runs imports it (a test, another project, an old draft)
        size = len(source.text)
        if size > MAX_SOURCE_BYTES:
            yield Unreadable(source.file, f"{size // 1024} KiB of code, too large to scan "
                                          f"(limit {MAX_SOURCE_BYTES // 1024} KiB)")
            continue
        total += size
        if total > MAX_TOTAL_BYTES:
            yield Unreadable(source.file, f"the scan stopped here: over {MAX_TOTAL_BYTES // 2**20} MiB of code in all")
            return
        yield source


def _shadows(rel_path, roots) -> bool:
    """A file on the worker's path named like a module Python or an installed library provides
    (`random.py`, `numpy/`): importing that name anywhere runs it, whoever imports it."""
    parts = PurePosixPath(rel_path.as_posix()).parts
    for depth in range(len(parts)):
        folder = "/".join(parts[:depth]) or "."
        if folder in roots:
            top = parts[depth].removesuffix(".py").removesuffix(".pyw")
            if top in sys.stdlib_module_names or _installed(top):
                return True
    return False


@functools.cache
def _installed(name: str) -> bool:
    """Whether a top-level module `name` is importable in this interpreter outside the
    standard library (the worker's interpreter is this one): looked up on the path, nothing
    is imported. A namespace package (any folder of that name on the path) does not count.
    One name at a time: listing every module on the path is several milliseconds of every
    grading, more in a student's environment with many packages."""
    if not name or "." in name:  # a file `a.b.py` is no importable name (the finder would look for `b`)
        return False
    try:
        spec = importlib.machinery.PathFinder.find_spec(name)
    except (ImportError, ValueError, OSError):
        return False
    return spec is not None and spec.origin is not None


def own_modules(root) -> frozenset:
    """Top-level module names the submission itself provides (its imports of them are its own)."""
    names = set()
    for rel_path in submission_files.files(root):
        names.update(rel_path.parts[:-1])  # any folder may be a package on the path (nested layouts)
        if rel_path.suffix == ".py":
            names.add(rel_path.stem)
    return frozenset(names)
