"""What a batch writes once every submission has a result, from those results and the
submissions' folders: similarity.csv, the LMS import files and the dashboard. Called from
one place, the end of runner.run_batch, so a resumed batch rebuilds all of it whole."""
from .. import atomic, similarity
from ..dashboard import write_dashboard
from ..errors import SimilarityFailed, SimilarityUnavailable
from ..report import lms


def start_similarity(out, folders, course=None):
    """The similarity of the submissions' code, started now, so that its child fingerprints
    while they are graded (`folders`: {name: folder} of the submissions that could be read);
    or why it cannot be computed."""
    boilerplate = course.boilerplate() if course is not None else []
    try:
        return similarity.Similarity(folders, cache=out / ".work" / "similarity-cache.json",
                                     boilerplate_folders=boilerplate)
    except (SimilarityUnavailable, SimilarityFailed) as e:
        return e


def publish(out, outcomes, milestones, started, *, threshold=None, summary_text="", log=print, course=None) -> dict:
    """`started`: what start_similarity returned. Returns the similarity result (with no
    pairs and a note saying why when it could not be computed)."""
    settings = course.similarity if course is not None else {}
    if threshold is None:  # the command line's, else the course's, else relative to the class
        threshold = settings.get("threshold", similarity.DEFAULT_THRESHOLD)
    for name in lms.COLUMNS:
        atomic.write_text(out / f"{name}.csv", lms.to_csv(name, [(n, r) for n, r, _ in outcomes]))
    try:
        if isinstance(started, Exception):
            raise started
        sim = started.result(threshold)
    except (SimilarityUnavailable, SimilarityFailed) as e:
        log(f"similarity not computed: {e}")
        sim = {"threshold": threshold if threshold != similarity.RELATIVE else similarity.FIXED_THRESHOLD,
               "rule": str(threshold), "pairs": [], "clusters": [], "note": f"Not computed: {e}"}
        (out / "similarity.csv").unlink(missing_ok=True)  # an old one would describe other code
    else:
        similarity.write_csv(out / "similarity.csv", sim)
    write_dashboard(out, outcomes, milestones, similarity=sim, summary_text=summary_text)
    return sim
