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
import threading
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
# A fixed flag, for an instructor who asks for one and for classes too small for a
# distribution (fewer than MIN_CLASS submissions).
FIXED_THRESHOLD = 0.5
# The default flag is relative to the class: a pair is flagged when its score stands out
# from every pair's score in the batch (a robust z-score: median and median absolute
# deviation, so the flagged pairs themselves barely move the cut), and never below FLOOR.
# A class that all retyped the same lecture scores high together; only a pair far above
# that common level stands out.
RELATIVE = "relative"
DEFAULT_THRESHOLD = RELATIVE
ROBUST_Z = 3.5        # Iglewicz and Hoaglin's cut for an outlier
MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution times this is its standard deviation
MIN_SPREAD = 0.05     # a class whose pairs all score alike still needs a clear margin
FLOOR = 0.4
MIN_CLASS = 4
MAX_PASSAGE_LINES = 80
COLUMNS = ["a", "b", "score", "shared_fingerprints", "a_lines", "b_lines"]


def available() -> bool:
    # find_spec, not import: copydetect imports matplotlib.pyplot, seconds the parent
    # process does not need to spend (the child imports it)
    return importlib.util.find_spec("copydetect") is not None


class _Fingerprints:
    """The fingerprinting child's pairs for one job, computed in the background (the child
    runs while the batch grades); reused from `cache` (a JSON file) when the job is the
    same, so re-running an unchanged batch does not fingerprint everything again."""

    def __init__(self, documents: dict, boilerplate: str, cache=None):
        job = json.dumps({"documents": documents, "boilerplate": boilerplate, "k": K, "window": WINDOW},
                         sort_keys=True)
        self.key = hashlib.sha256(job.encode("utf-8", errors="surrogatepass")).hexdigest()
        self.cache, self.pairs, self.proc, self.failure = cache, None, None, None
        if cache is not None:
            try:
                cached = json.loads(Path(cache).read_text())
                if cached.get("key") == self.key:
                    self.pairs = cached["pairs"]
                    return
            except (OSError, ValueError, AttributeError):
                pass  # no cache or a damaged one: compute
        self.folder = tempfile.TemporaryDirectory(prefix="micrograde-similarity-")
        child = children.hash_seeded("from micrograde.similarity.fingerprint import main; sys.exit(main())",
                                     self.folder.name)
        try:
            self.proc = subprocess.Popen(**child, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
        except OSError as e:
            self.folder.cleanup()
            raise SimilarityFailed(f"fingerprinting could not start: {e}") from None
        # The job is written and the answer read by a thread: a class's code is more than a
        # pipe holds, and the caller goes on grading meanwhile.
        self.thread = threading.Thread(target=self._talk, args=(job,), daemon=True)
        self.thread.start()

    def _talk(self, job: str) -> None:
        try:
            self.output, self.errors = self.proc.communicate(job)
        except (OSError, ValueError) as e:
            self.output, self.errors = "", f"{type(e).__name__}: {e}"

    def result(self) -> list:
        if self.pairs is not None:
            return self.pairs
        self.thread.join()
        self.folder.cleanup()
        if self.proc.returncode != 0:
            raise SimilarityFailed(f"fingerprinting exited with status {self.proc.returncode}: "
                                   f"{self.errors.strip()[-500:]}")
        self.pairs = json.loads(self.output)["pairs"]
        if self.cache is not None:
            atomic.write_text(self.cache, json.dumps({"key": self.key, "pairs": self.pairs}))
        return self.pairs

    def cancel(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


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


def relative_threshold(scores: list, count: int) -> tuple[float, str]:
    """The flag for a class of `count` submissions whose pairs scored `scores` (pairs with
    no overlap at all left out: they count as 0), and how it was found, in words."""
    pairs = count * (count - 1) // 2
    if count < MIN_CLASS:
        return FIXED_THRESHOLD, f"fixed {FIXED_THRESHOLD:g}: a class of {count} is too small for a distribution"
    every = sorted(list(scores) + [0.0] * (pairs - len(scores)))
    median = _median(every)
    spread = max(_median(sorted(abs(s - median) for s in every)) * MAD_TO_SIGMA, MIN_SPREAD)
    cut = max(FLOOR, median + ROBUST_Z * spread)
    return round(cut, 4), (f"relative to the class: median pair score {median:.2f} + {ROBUST_Z:g} x robust spread "
                           f"{spread:.2f} (never below {FLOOR:g}) = {cut:.2f}")


def _median(values: list) -> float:
    n = len(values)
    return 0.0 if not n else values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


class Similarity:
    """A similarity computation under way: started before grading, its result taken after."""

    def __init__(self, folders: dict, boilerplate=None, cache=None, boilerplate_folders=()):
        if not available():
            raise SimilarityUnavailable("similarity needs copydetect: pip install 'micrograde[similarity]'")
        from .documents import boilerplate_text, submission_document  # reads the layout rules; not for --help

        self.docs = {name: submission_document(path) for name, path in sorted(folders.items())}
        shared = boilerplate_text() if boilerplate is None else boilerplate
        shared += "".join("\n" + submission_document(folder).text for folder in boilerplate_folders)
        self.fingerprints = _Fingerprints({n: d.text for n, d in self.docs.items()}, shared, cache)

    def result(self, threshold=DEFAULT_THRESHOLD) -> dict:
        """{"threshold", "rule", "pairs" (best first), "clusters", "note"}: what the dashboard
        shows and similarity.csv holds. `threshold`: a number, or "relative" (relative_threshold)."""
        docs = self.docs
        notes = [f"{n}: {d.note.rstrip('; ')}" for n, d in docs.items() if d.note]
        pairs = []
        for p in self.fingerprints.result():
            a_lines, a_passage = _longest(docs[p["a"]], p["slices_a"])
            b_lines, b_passage = _longest(docs[p["b"]], p["slices_b"])
            pairs.append({"a": p["a"], "b": p["b"], "score": round(max(p["sim_a"], p["sim_b"]), 4),
                          "shared": p["shared"], "a_lines": a_lines, "b_lines": b_lines,
                          "a_passage": a_passage, "b_passage": b_passage})
        pairs.sort(key=lambda p: (-p["score"], -p["shared"], p["a"], p["b"]))
        if threshold == RELATIVE:
            threshold, rule = relative_threshold([p["score"] for p in pairs], len(docs))
        else:
            rule = f"fixed {threshold:g}"
        return {"threshold": threshold, "rule": rule, "pairs": pairs, "clusters": clusters(pairs, threshold),
                "note": "; ".join(notes)}

    def cancel(self) -> None:
        self.fingerprints.cancel()


def compute(folders: dict, threshold=DEFAULT_THRESHOLD, boilerplate=None, cache=None,
            boilerplate_folders=()) -> dict:
    """`folders`: {submission name: folder}; the result of Similarity (see there).
    `boilerplate_folders`: code every student was given or told to follow (a course's
    starter and lecture code), left out like the template. `cache`: a file that keeps the
    last computation, reused while no document changed."""
    return Similarity(folders, boilerplate, cache, boilerplate_folders).result(threshold)


def to_csv(result: dict) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for p in result["pairs"]:
        writer.writerow({**p, "score": f"{p['score']:.4f}", "shared_fingerprints": p["shared"]})
    return buf.getvalue()


def write_csv(path, result: dict) -> None:
    atomic.write_text(path, to_csv(result))
