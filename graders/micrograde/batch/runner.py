"""Running a batch: discover, reuse what is up to date, grade the rest in parallel,
then write the gradebook, the summary table and the summary plot."""
import concurrent.futures as cf
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .. import __version__, children
from .. import submission as submission_files
from ..errors import ReportError, SourceError
from ..report import load_report
from ..rubric import MILESTONES
from . import after, cache, gradebook, plot, summary
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


def _grade_one(sub, out, seed, milestones, limit_args, integrity_policy="report"):
    """Grade one submission with `micrograde grade`, in a process of its own.

    One process per grading: its output goes to a log of its own, and whatever goes
    wrong in it (the kit included) stays with that one submission."""
    report_path = out / "reports" / f"{sub.name}.json"
    log_path = out / "logs" / f"{sub.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The submission's and the report's paths and the seed in a file only we may read,
    # not on the child's command line; isolated, from a fixed folder: see `children`.
    private = tempfile.mkdtemp(prefix="micrograde-batch-")
    try:
        secrets = children.secret_arguments(private, [str(Path(sub.path).resolve()), "--json",
                                                      str(report_path.resolve()), "--seed", str(seed)])
        cmd = [*children.micrograde_command(), "grade", secrets, f"--integrity={integrity_policy}", *limit_args]
        if milestones:
            cmd += ["--milestone", *milestones]
        # The grading output goes to a log per submission: parallel runs would interleave on
        # the terminal, and the log is what an instructor reads when a grade looks odd.
        with open(log_path, "wb") as log:
            code = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=private).returncode
    finally:
        shutil.rmtree(private, ignore_errors=True)
    try:
        report = load_report(report_path)
    except ReportError:
        report = None
    if code != 0 or report is None:
        return None, f"grader_error: micrograde grade exited with status {code}, see {log_path}"
    return report, None


def run_batch(src, out, *, jobs=None, seed=None, milestones=None, progress=True, log=None,
              limit_args=(), integrity_policy="report", similarity_threshold=None) -> BatchResult:
    from .. import grading  # for DEFAULT_SEED; imported here so `micrograde --help` never needs it

    log = log or (lambda msg: tqdm.write(msg, file=sys.stderr))
    out = Path(out)
    seed = grading.DEFAULT_SEED if seed is None else seed
    milestones = [m for m in MILESTONES if m in milestones] if milestones else list(MILESTONES)
    jobs = jobs or os.cpu_count() or 1
    reports_dir = out / "reports"
    result = BatchResult(out=out, milestones=milestones)

    src = Path(src)
    if src.is_dir() and out.resolve().is_relative_to(src.resolve()):
        raise SourceError(f"--out {out} is inside SRC {src}: it would be graded as a submission; put it elsewhere")
    subs = discover(src, out / ".work")
    if not subs:
        raise SourceError(f"no submissions in {src}: expected one subfolder or .zip per student")
    done, todo = {}, []
    for sub in subs:
        if sub.problem:
            done[sub.name] = (None, sub.problem)
            continue
        try:
            # the same hash grade() records in the report, so the two can be compared
            key = cache.wanted_key(submission_files.sha256(sub.path), __version__, seed, milestones,
                                   integrity_policy)
        except OSError as e:  # an unreadable file: this submission only
            done[sub.name] = (None, f"unreadable: {e}")
            continue
        report = cache.reusable_report(reports_dir / f"{sub.name}.json", key)
        if report is not None:
            done[sub.name] = (report, None)
            result.reused.append(sub.name)
        else:
            todo.append(sub)
    problems = sum(1 for r, p in done.values() if p)
    log(f"{len(subs)} submissions: {len(result.reused)} up to date, {len(todo)} to grade"
        + (f", {problems} cannot be graded" if problems else "")
        + f" (seed {seed}, milestones {' '.join(milestones)}, jobs {jobs})")

    # all milestones graded -> pass None, so grade() decides what "all" is
    ms_arg = None if milestones == list(MILESTONES) else milestones
    pool = cf.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    try:
        futures = {pool.submit(_grade_one, sub, out, seed, ms_arg, list(limit_args), integrity_policy): sub
                   for sub in todo}
        with tqdm(total=len(todo), unit="submission", disable=not progress or not todo,
                  file=sys.stderr, dynamic_ncols=True) as bar:
            for fut in cf.as_completed(futures):
                sub = futures[fut]
                done[sub.name] = fut.result()
                result.graded.append(sub.name)
                bar.update(1)
    except KeyboardInterrupt:
        # Record what finished. Ctrl-C reached the running `micrograde grade` processes
        # too (same process group); whatever they finished is reused by a re-run.
        pool.shutdown(wait=False, cancel_futures=True)
        for sub in todo:
            done.setdefault(sub.name, (None, "not graded: batch interrupted"))
        _finish(result, subs, done, out, write_plot=False)
        raise
    pool.shutdown()
    _finish(result, subs, done, out, similarity_threshold=similarity_threshold, log=log)
    return result


def _finish(result, subs, done, out, write_plot=True, similarity_threshold=None, log=print):
    result.outcomes = [(s.name, *done[s.name]) for s in subs]
    result.sources = {s.name: s.source for s in subs}
    gradebook.write_gradebook(out / "grades.csv", result.outcomes, result.milestones, result.sources)
    st = summary.stats(result.outcomes, result.milestones)
    result.summary_text = summary.render(st)
    if write_plot:
        plot.write_summary_png(out / "summary.png", st)
        after.publish(out, result.outcomes, result.milestones,
                      {s.name: s.path for s in subs if s.path is not None},
                      threshold=similarity_threshold, summary_text=result.summary_text, log=log)
