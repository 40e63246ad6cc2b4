"""Similarity of submissions' code across a batch: OUT/similarity.csv and the pairs and
clusters the dashboard shows.

Scores are copydetect's: the share of a document's fingerprinted code that also appears
in the other, after identifiers are normalised, comments and docstrings dropped and the
boilerplate (template and contract) removed. A pair's score is the larger of its two
shares, so a short submission copied whole into a longer one still scores high."""
import csv
import hashlib
import importlib.util
import io
import json
import subprocess
import tempfile
from pathlib import Path

from .. import atomic, children
from ..errors import SimilarityFailed, SimilarityUnavailable

# k-gram length and winnowing window, in characters of the normalised code. Any shared
# run of at least K + WINDOW - 1 characters is certain to be found; shorter runs (one
# statement, which every micrograd shares) are noise.
K = 40
WINDOW = 20
# Measured by tests/test_similarity.py: a renamed, re-commented copy of the reference
# scores about 0.98 against it; independently written correct solutions stay below 0.4.
DEFAULT_THRESHOLD = 0.5
MAX_PASSAGE_LINES = 80
COLUMNS = ["a", "b", "score", "shared_fingerprints", "a_lines", "b_lines"]


def available() -> bool:
    # find_spec, not import: copydetect imports matplotlib.pyplot, seconds the parent
    # process does not need to spend (the child imports it)
    return importlib.util.find_spec("copydetect") is not None


def _run_fingerprints(documents: dict, boilerplate: str, cache=None) -> list:
    """The child's pairs for this job; reused from `cache` (a JSON file) when the job is
    the same, so re-running an unchanged batch does not fingerprint everything again."""
    job = json.dumps({"documents": documents, "boilerplate": boilerplate, "k": K, "window": WINDOW},
                     sort_keys=True)
    key = hashlib.sha256(job.encode("utf-8", errors="surrogatepass")).hexdigest()
    if cache is not None:
        try:
            cached = json.loads(Path(cache).read_text())
            if cached.get("key") == key:
                return cached["pairs"]
        except (OSError, ValueError, AttributeError):
            pass  # no cache or a damaged one: compute
    with tempfile.TemporaryDirectory(prefix="micrograde-similarity-") as empty:
        child = children.hash_seeded("from micrograde.similarity.fingerprint import main; sys.exit(main())", empty)
        proc = subprocess.run(**child, input=job, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SimilarityFailed(f"fingerprinting exited with status {proc.returncode}: {proc.stderr.strip()[-500:]}")
    pairs = json.loads(proc.stdout)["pairs"]
    if cache is not None:
        atomic.write_text(cache, json.dumps({"key": key, "pairs": pairs}))
    return pairs


def _longest(doc, slices) -> tuple[str, str]:
    start, end = max(slices, key=lambda s: (s[1] - s[0], -s[0]))
    first, last = doc.lines_of(start, end)
    lines = doc.text.splitlines()[first:last + 1]
    if len(lines) > MAX_PASSAGE_LINES:
        lines = lines[:MAX_PASSAGE_LINES] + [f"... ({last - first + 1 - MAX_PASSAGE_LINES} more lines)"]
    return doc.where(first, last), "\n".join(lines)


def clusters(pairs, threshold) -> list:
    """Groups of submissions joined by pairs at or above `threshold` (connected components)."""
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p["score"] >= threshold:
            parent[root(p["a"])] = root(p["b"])
    groups = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g))


def compute(folders: dict, threshold: float = DEFAULT_THRESHOLD, boilerplate=None, cache=None) -> dict:
    """`folders`: {submission name: folder}. Returns {"threshold", "pairs" (best first),
    "clusters", "note"}: what the dashboard shows and similarity.csv holds. `cache`: a
    file that keeps the last computation, reused while no document changed."""
    if not available():
        raise SimilarityUnavailable("similarity needs copydetect: pip install 'micrograde[similarity]'")
    from .documents import boilerplate_text, submission_document  # reads the layout rules; not for --help

    docs = {name: submission_document(path) for name, path in sorted(folders.items())}
    notes = [f"{n}: {d.note.rstrip('; ')}" for n, d in docs.items() if d.note]
    raw = _run_fingerprints({n: d.text for n, d in docs.items()},
                            boilerplate_text() if boilerplate is None else boilerplate, cache)
    pairs = []
    for p in raw:
        a_lines, a_passage = _longest(docs[p["a"]], p["slices_a"])
        b_lines, b_passage = _longest(docs[p["b"]], p["slices_b"])
        pairs.append({"a": p["a"], "b": p["b"], "score": round(max(p["sim_a"], p["sim_b"]), 4),
                      "shared": p["shared"], "a_lines": a_lines, "b_lines": b_lines,
                      "a_passage": a_passage, "b_passage": b_passage})
    pairs.sort(key=lambda p: (-p["score"], -p["shared"], p["a"], p["b"]))
    return {"threshold": threshold, "pairs": pairs, "clusters": clusters(pairs, threshold),
            "note": "; ".join(notes)}


def to_csv(result: dict) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for p in result["pairs"]:
        writer.writerow({**p, "score": f"{p['score']:.4f}", "shared_fingerprints": p["shared"]})
    return buf.getvalue()


def write_csv(path, result: dict) -> None:
    atomic.write_text(path, to_csv(result))
