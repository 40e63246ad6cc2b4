"""Turning SRC into a list of submissions: a folder with one subfolder (or one zip) per
student, or a zip of such a folder. Zips are unpacked safely into a work folder; a zip
that cannot be used becomes a submission with a problem, so the batch goes on.

Names. A submission's name (its report file, its gradebook row) is its entry's name made
safe for a file name (a zip without `.zip`). When entries collide once made safe and
compared without case (`ALICE.zip`, `Alice`, `alice`), every one of them is named
`<safe name>~<12 hex digits of the SHA-256 of its entry name>`. A name therefore depends
only on its own entry and on whether it collides, never on the order or number of
entries, and no upload name can be chosen to land on another entry's row: `~` never
survives safe_name, so only a collision makes a `~` name, and then from the entry's own
name. The gradebook's `source` column keeps the entry name as handed in."""
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import submission as submission_files
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
    source: str = ""          # the entry of SRC as handed in: "ALICE.zip", "Alice"


def shown(raw: str) -> str:
    """An entry's name as text: bytes that are not UTF-8 (a name made on another system)
    shown as U+FFFD, so the gradebook and the logs can always write it."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def safe_name(raw: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._") or "submission"
    return name[:100]


def _stem(entry: Path) -> str:
    return entry.stem if entry.is_file() else entry.name


def stable_names(entries) -> dict:
    """entry -> its submission name (see the module's docstring)."""
    keys = {entry: safe_name(_stem(entry)) for entry in entries}
    seen: dict[str, int] = {}
    for key in keys.values():
        seen[key.lower()] = seen.get(key.lower(), 0) + 1  # lower(): case-insensitive disks
    names = {}
    for entry, key in keys.items():
        if seen[key.lower()] == 1:
            names[entry] = key
        else:
            names[entry] = f"{key[:86]}~{hashlib.sha256(entry.name.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"
    return names


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


def _entries(folder: Path) -> list:
    """Folders and zips of `folder`; other files (an LMS's index.html, a grades sheet) are
    not submissions, and symlinks could point anywhere on the instructor's disk."""
    return [entry for entry in sorted(folder.iterdir(), key=lambda p: p.name)
            if entry.name not in IGNORED and not entry.name.startswith(".") and not entry.is_symlink()
            and (entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"))]


def _readable_copy(folder: Path, target: Path) -> Path:
    """`folder` copied to `target` (its files that count): a folder whose path is not text
    (a non-UTF-8 name) cannot be handed to a grading child by name."""
    if target.exists():
        shutil.rmtree(target)
    submission_files.copy(folder, target)
    return target


def _one(entry: Path, name: str, unzip_dir: Path) -> Submission:
    source = shown(entry.name)
    if entry.is_dir():
        root = find_submission_root(entry)
        if shown(str(root)) != str(root):
            root = _readable_copy(root, unzip_dir / name)
        return Submission(name, root, source=source)
    try:
        root = safezip.extract(entry, unzip_dir / name)
    except safezip.ZipProblem as e:
        return Submission(name, None, f"bad_zip: {e}", source=source)
    return Submission(name, find_submission_root(root), source=source)


def _scan(folder: Path, unzip_dir: Path) -> list:
    entries = _entries(folder)
    names = stable_names(entries)
    subs = []
    for entry in entries:
        name = names[entry]
        try:
            subs.append(_one(entry, name, unzip_dir))
        except Exception as e:  # one entry never stops the batch: it gets its own status
            subs.append(Submission(name, None, f"grader_error: {type(e).__name__}: {e}", source=shown(entry.name)))
    if unzip_dir.exists():
        # Unpacked copies of zips that are no longer in SRC would only waste disk.
        keep = {s.name for s in subs}
        for old in unzip_dir.iterdir():
            if old.name not in keep and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return sorted(subs, key=lambda s: s.name)
