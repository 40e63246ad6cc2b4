"""Turning SRC into a list of submissions: a folder with one subfolder (or one zip) per
student, or a zip of such a folder. Zips are unpacked safely into a work folder; a zip
that cannot be used becomes a submission with a problem, so the batch goes on."""
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceError
from . import safezip
from .locate import find_submission_root

# An LMS export can hold a whole class; one student's upload must stay small.
CLASS_ZIP_LIMITS = dict(max_files=200_000, max_file_bytes=100 * 2**20, max_total_bytes=4 * 2**30)
IGNORED = {"__MACOSX", "__pycache__"}


@dataclass
class Submission:
    name: str                 # unique, safe as a file name: OUT/reports/<name>.json
    path: Path | None         # folder to grade; None when `problem` is set
    problem: str | None = None  # why it cannot be graded, e.g. "bad_zip: not a valid zip file"


def safe_name(raw: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._") or "submission"
    return name[:100]


def _unique(name: str, taken: set) -> str:
    candidate, n = name, 2
    while candidate.lower() in taken:  # lower(): reports must not clash on case-insensitive disks
        candidate, n = f"{name}~{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def discover(src, workdir) -> list:
    """Submissions in `src`, sorted by name. Zips are unpacked under `workdir`."""
    src, workdir = Path(src), Path(workdir)
    if not src.exists():
        raise SourceError(f"{src} does not exist: give a folder of submissions or a zip of one")
    if src.is_file():
        if src.suffix.lower() != ".zip":
            raise SourceError(f"{src} is a file but not a .zip: give a folder of submissions or a zip of one")
        try:
            root = safezip.extract(src, workdir / "source", **CLASS_ZIP_LIMITS)
        except safezip.ZipProblem as e:
            raise SourceError(f"cannot unpack {src}: {e}") from None
        src = _unwrap(root)
    elif not src.is_dir():
        raise SourceError(f"{src} is neither a folder nor a zip file")
    return _scan(src, workdir / "unzipped")


def _unwrap(root: Path) -> Path:
    """An export zipped as one top folder ("submissions/alice/...") is that folder, unless
    the top folder is itself a single submission."""
    entries = [e for e in root.iterdir() if e.name not in IGNORED and not e.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and find_submission_root(entries[0]) == entries[0] \
            and not (entries[0] / "micrograd").is_dir():
        return entries[0]
    return root


def _scan(folder: Path, unzip_dir: Path) -> list:
    taken, subs = set(), []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name in IGNORED or entry.name.startswith(".") or entry.is_symlink():
            continue  # symlinks could point anywhere on the instructor's disk
        if entry.is_dir():
            subs.append(Submission(_unique(safe_name(entry.name), taken), find_submission_root(entry)))
        elif entry.suffix.lower() == ".zip":
            name = _unique(safe_name(entry.stem), taken)
            try:
                root = safezip.extract(entry, unzip_dir / name)
            except safezip.ZipProblem as e:
                subs.append(Submission(name, None, f"bad_zip: {e}"))
                continue
            subs.append(Submission(name, find_submission_root(root)))
        # other files (an LMS's index.html, a grades sheet) are not submissions
    if unzip_dir.exists():
        # Unpacked copies of zips that are no longer in SRC would only waste disk.
        keep = {s.name for s in subs}
        for old in unzip_dir.iterdir():
            if old.name not in keep and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return sorted(subs, key=lambda s: s.name)
