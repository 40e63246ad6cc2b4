"""Running a batch: discover, reuse what is up to date, grade the rest in parallel,
then write the gradebook, the summary table and the summary plot."""
import concurrent.futures as cf
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .. import submission as submission_files
from ..errors import ReportError, SourceError, UsageError
from ..grading_key import grading_key
from ..options import limit_flags
from ..report import load_report
from ..rubric import MILESTONES
from ..spec import DEFAULT_SEED
from ..worker.limits import Limits
from . import after, cache, child, gradebook, plot, summary, template
from .discover import discover


@dataclass
class BatchResult:
    out: Path
    milestones: list
    outcomes: list = field(default_factory=list)  # (name, report or None, problem or None)
    sources: dict = field(default_factory=dict)    # name -> the entry of SRC, as handed in
    reused: list = field(default_factory=list)     # names whose report was up to date
    graded: list = field(default_factory=list)     # names graded in this run
    summary_text: str = ""


@dataclass(frozen=True)
class Job:
    """What every grading of one batch shares."""
    seed: int
    milestones: list | None  # None: all milestones, so grade() decides what "all" is
    limits: Limits = Limits()
    integrity_policy: str = "report"
    layout: str | None = None  # the instructor's layout file, absolute
    course: str | None = None  # the course pack's folder (None: the default course)

    def args(self) -> list[str]:
        """The limit, layout and course flags of every `micrograde grade` of the batch."""
        return [*limit_flags(self.limits), *([f"--layout={self.layout}"] if self.layout else []),
                *([f"--course={self.course}"] if self.course else [])]


class LocalPool:
    """Grades on this machine, `jobs` submissions at once.

    A pool is the one interface between the batch and where grading runs (see also
    distributed.DaskPool): `grade` starts the work and returns an iterator of
    (submission, (report, problem)) in the order they finish, each with
    OUT/reports/<name>.json and OUT/logs/<name>.log already written;
    `close` stops it, dropping queued work when the batch was interrupted."""

    def __init__(self, jobs: int, warm: bool = True, template_workers: bool = True):
        self.jobs = jobs
        self.description = f"jobs {jobs}"
        self._pool = None
        # One warm template per job slot (template.py), where the machine can fork, with
        # its template workers (worker/forkserver.py).
        self._warm = warm and template.available()
        self._template_workers = template_workers
        self._slot = threading.local()
        self._templates = []
        self._lock = threading.Lock()

    def grade(self, todo, job: Job, out: Path):
        self._pool = cf.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="grade")
        futures = {self._pool.submit(self._grade_one, sub, job, out): sub for sub in todo}
        return ((futures[fut], fut.result()) for fut in cf.as_completed(futures))

    def _template(self):
        if not self._warm:
            return None
        if getattr(self._slot, "template", None) is None:
            self._slot.template = template.Template(workers=self._template_workers)
            with self._lock:
                self._templates.append(self._slot.template)
        return self._slot.template

    def _grade_one(self, sub, job: Job, out: Path):
        try:
            return self._grade_in_child(sub, job, out)
        except Exception as e:  # one submission's failure is its own status, never the batch's
            return None, f"grader_error: {type(e).__name__}: {e}"

    def _grade_in_child(self, sub, job: Job, out: Path):
        report_path = out / "reports" / f"{sub.name}.json"
        log_path = out / "logs" / f"{sub.name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        code = child.grade_in_child(sub.path, report_path, log_path, job, self._template())
        try:
            report = load_report(report_path)
        except ReportError:
            report = None
        if code != 0 or report is None:
            return None, child.grader_error(code, log_path)
        return report, None

    def close(self, interrupted: bool) -> None:
        # Interrupted: Ctrl-C reached the running `micrograde grade` processes too (same
        # process group); whatever they finished is reused by a re-run.
        if self._pool is not None:
            self._pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
        for warm in self._templates:
            warm.close()


def run_batch(src, out, *, jobs=None, seed=None, milestones=None, progress=True, log=None,
              limits=None, layout=None, integrity_policy="report", similarity_threshold=None,
              scheduler=None, course=None, warm=True, template_workers=True) -> BatchResult:
    """Grade SRC into OUT: on this machine (`jobs` at once), or on the Dask cluster whose
    scheduler is at `scheduler` (an address such as tcp://10.0.0.5:8786). `limits`: the
    workers' Limits (default: Limits()); `layout`: an instructor's layout file; `course`: a
    course pack folder (None: the kit's course/ if any, else the default). `warm`: grade
    locally in forks of warm templates (template.py) where the machine can; `template_workers`:
    their workers forked from template workers (worker/forkserver.py)."""
    from .. import course as courses

    log = log or (lambda msg: tqdm.write(msg, file=sys.stderr))
    course = courses.load(course)
    if course.root is not None and scheduler is not None:
        raise UsageError("--course with --scheduler: a course pack is not shipped to Dask workers yet; "
                         "grade the course's batch on this machine (--jobs)")
    out = Path(out)
    seed = DEFAULT_SEED if seed is None else seed
    milestones = [m for m in MILESTONES if m in milestones] if milestones else list(MILESTONES)
    jobs = jobs or os.cpu_count() or 1
    limits = limits or Limits()
    layout = str(Path(layout).resolve()) if layout else None
    result = BatchResult(out=out, milestones=milestones)

    src = Path(src)
    if src.is_dir() and out.resolve().is_relative_to(src.resolve()):
        raise SourceError(f"--out {out} is inside SRC {src}: it would be graded as a submission; put it elsewhere")
    # The pool first: a missing Dask or a cluster with no usable worker is said before
    # anything is written to OUT.
    pool = LocalPool(jobs, warm, template_workers) if scheduler is None else _dask_pool(scheduler, log)
    try:
        subs, done, todo, settings_line = _plan(pool, result, src, out, seed, milestones, limits, layout,
                                                integrity_policy, course)
    except BaseException:
        pool.close(interrupted=True)
        raise
    log(settings_line)
    return _grade(pool, result, subs, done, todo, out, seed, milestones, limits, layout, integrity_policy,
                  similarity_threshold, course, log, progress)


def _plan(pool, result, src, out, seed, milestones, limits, layout, integrity_policy, course):
    """Make OUT's folders, discover SRC and split it into done (reused or ungradable) and
    todo; with the line that says so."""
    reports_dir = out / "reports"
    # What the batch writes holds classmates' code, reports and the seed: ours alone, since
    # a worker without its namespaces runs on this machine's files under a uid of its own.
    for folder in (out / ".work", out / "reports", out / "logs"):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    subs = discover(src, out / ".work")
    if not subs:
        raise SourceError(f"no submissions in {src}: expected one subfolder or .zip per student")
    settings = grading_key(seed=seed, milestones=milestones, limits=limits.to_dict(),
                           integrity_policy=integrity_policy, layout_file=layout, course=course.sha256)
    done, todo = {}, []
    for sub in subs:
        if sub.problem:
            done[sub.name] = (None, sub.problem)
            continue
        try:
            # the same hash grade() records in the report, so the two can be compared
            key = cache.wanted_key(submission_files.sha256(sub.path), settings)
        except Exception as e:  # an unreadable file: this submission only
            done[sub.name] = (None, f"grader_error: cannot read it ({type(e).__name__}: {e})")
            continue
        report = cache.reusable_report(reports_dir / f"{sub.name}.json", key)
        if report is not None:
            done[sub.name] = (report, None)
            result.reused.append(sub.name)
        else:
            todo.append(sub)
    problems = sum(1 for r, p in done.values() if p)
    line = (f"{len(subs)} submissions: {len(result.reused)} up to date, {len(todo)} to grade"
            + (f", {problems} cannot be graded" if problems else "")
            + f" (seed {seed}, milestones {' '.join(milestones)}, {pool.description})")
    return subs, done, todo, line


def _grade(pool, result, subs, done, todo, out, seed, milestones, limits, layout, integrity_policy,
           similarity_threshold, course, log, progress):
    # all milestones graded -> pass None, so grade() decides what "all" is
    job = Job(seed, None if milestones == list(MILESTONES) else milestones, limits, integrity_policy, layout,
              str(course.root) if course.root is not None else None)
    # What the end of the batch needs and no grading changes starts now, beside the gradings.
    similar = after.start_similarity(out, {s.name: s.path for s in subs if s.path is not None}, course)
    if todo:
        plot.preload()
    try:
        results = pool.grade(todo, job, out) if todo else ()
        with tqdm(total=len(todo), unit="submission", disable=not progress or not todo,
                  file=sys.stderr, dynamic_ncols=True) as bar:
            for sub, outcome in results:
                done[sub.name] = outcome
                result.graded.append(sub.name)
                bar.update(1)
    except BaseException as e:
        pool.close(interrupted=True)  # on any failure: no queued work left behind
        if not isinstance(similar, Exception):
            similar.cancel()
        if not isinstance(e, KeyboardInterrupt):
            raise
        for sub in todo:
            done.setdefault(sub.name, (None, "not graded: batch interrupted"))
        _finish(result, subs, done, out, write_plot=False)
        raise
    pool.close(interrupted=False)
    _finish(result, subs, done, out, similarity_threshold=similarity_threshold, log=log, course=course,
            similar=similar)
    return result


def _dask_pool(address: str, log):
    # Imported only for --scheduler: a local batch never needs (or loads) Dask.
    from .distributed import DaskPool
    pool = DaskPool(address, log)
    pool.connect()
    return pool


def _finish(result, subs, done, out, write_plot=True, similarity_threshold=None, log=print, course=None,
            similar=None):
    result.outcomes = [(s.name, *done[s.name]) for s in subs]
    result.sources = {s.name: s.source for s in subs}
    gradebook.write_gradebook(out / "grades.csv", result.outcomes, result.milestones, result.sources)
    st = summary.stats(result.outcomes, result.milestones)
    result.summary_text = summary.render(st)
    if write_plot:
        plot.write_summary_png(out / "summary.png", st)
        after.publish(out, result.outcomes, result.milestones, similar,
                      threshold=similarity_threshold, summary_text=result.summary_text, log=log, course=course)
