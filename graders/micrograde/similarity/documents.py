"""A submission's code as one document for fingerprinting, and the code every submission
shares legitimately (the boilerplate): the student template and the contract's signatures.

The document is every source file the grader would read (the layout module decides which:
tests, virtualenvs and build folders are left out), in path order, each preceded by a
comment naming it. Comments are dropped before fingerprinting, so the names cost nothing;
they are kept to map a shared passage back to its file and line. A notebook contributes
the definitions in its code cells, as graded."""
import bisect
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import notebook
from ..layout.sources import source_files
from ..spec import KIT_ROOT, load_contract

MAX_DOCUMENT_CHARS = 1_000_000  # beyond this a submission is not code a student wrote


@dataclass
class Document:
    text: str = ""
    origins: list = field(default_factory=list)  # per line of text: "file:line" (or "nb.ipynb cell 3:4")
    note: str = ""

    def _line_starts(self):
        starts, pos = [0], self.text.find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = self.text.find("\n", pos + 1)
        return starts

    def lines_of(self, start: int, end: int) -> tuple[int, int]:
        """0-based first and last line holding characters [start, end)."""
        starts = self._line_starts()
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(start, end - 1)) - 1
        return first, last

    def where(self, first: int, last: int) -> str:
        """Where lines first..last (0-based) came from, e.g. 'micrograd/engine.py:10-42'."""
        a, b = self.origins[first], self.origins[last]
        (fa, la), (fb, lb) = a.rsplit(":", 1), b.rsplit(":", 1)
        return f"{fa}:{la}-{lb}" if fa == fb else f"{a} to {b}"

    def add(self, label: str, code: str, line_label) -> None:
        header = f"# ---- {label}\n"
        self.text += header
        self.origins.append(f"{label}:0")
        for n, line in enumerate(code.splitlines(), 1):
            self.text += line + "\n"
            self.origins.append(f"{label}:{line_label(n)}")


def submission_document(folder) -> Document:
    folder = Path(folder)
    doc = Document()
    files, _ = source_files(folder)
    for rel in files:
        try:
            raw = (folder / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if rel.endswith(".ipynb"):
            nb = notebook.extract(raw)
            if nb.error:
                doc.note += f"{rel}: {nb.error}; "
                continue
            doc.add(rel, nb.source, lambda n, lines=nb.lines: "cell {}:{}".format(*lines.get(n, (0, n))))
        else:
            doc.add(rel, raw, str)
        if len(doc.text) > MAX_DOCUMENT_CHARS:
            doc.note += f"cut at {MAX_DOCUMENT_CHARS} characters; "
            break
    return doc


def contract_signatures() -> str:
    """Python text of every class and signature in the contract, with empty bodies."""
    lines = []
    for module in load_contract()["modules"]:
        for member in module["members"]:
            if member["kind"] == "class":
                lines.append(f"class {member['name']}:")
                lines += [f"    def {m['name']}{m['signature']}:\n        pass" for m in member.get("methods", [])]
                lines.append(f"    def __init__{member['signature'].replace('(', '(self, ', 1)}:\n        pass")
            else:
                lines.append(f"def {member['name']}{member['signature']}:\n    pass")
    return "\n".join(lines) + "\n"


def boilerplate_text(template=KIT_ROOT / "student_template") -> str:
    """The student template's files (stubs, docstrings, imports) and the contract's signatures."""
    parts = [contract_signatures()]
    template = Path(template)
    if template.is_dir():
        parts += [p.read_text(encoding="utf-8") for p in sorted(template.rglob("*.py"))]
    return "\n".join(parts)
