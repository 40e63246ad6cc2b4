"""OUT/index.html and OUT/submissions/*.html: a static, self-contained view of a batch
(gradebook, distributions, item analysis, similarity, one page per submission).

Written at the end of every batch from what the batch wrote; rebuilt whole each time,
so a resumed batch shows every submission, reused or regraded."""
from pathlib import Path

from .. import atomic
from .items import item_analysis
from .pages import index_page, submission_page

SIMILAR_ON_PAGE = 5  # a submission's page lists its closest matches


def write_dashboard(out, outcomes, milestones, *, similarity=None, summary_text="") -> Path:
    """`outcomes`: (name, report or None, problem or None) per submission; `similarity`:
    {"threshold", "pairs", "clusters", "note"} or None. Returns the index path."""
    out = Path(out)
    outcomes = sorted(outcomes, key=lambda o: o[0])
    reports = [r for _, r, p in outcomes if r is not None and p is None]
    items = item_analysis(reports, milestones)
    closest = {}
    for p in (similarity or {}).get("pairs", []):
        closest.setdefault(p["a"], []).append((p["b"], p["score"]))
        closest.setdefault(p["b"], []).append((p["a"], p["score"]))
    pages_dir = out / "submissions"
    keep = set()
    for name, report, problem in outcomes:
        pairs = sorted(closest.get(name, []), key=lambda x: (-x[1], x[0]))[:SIMILAR_ON_PAGE]
        path = pages_dir / f"{name}.html"
        atomic.write_text(path, submission_page(name, report, problem, milestones,
                                                out / "logs" / f"{name}.log", pairs))
        keep.add(path.name)
    # pages of submissions no longer in SRC would be stale links to nowhere
    for old in pages_dir.glob("*.html"):
        if old.name not in keep:
            old.unlink()
    index = out / "index.html"
    atomic.write_text(index, index_page(outcomes, milestones, items, similarity, summary_text))
    return index
