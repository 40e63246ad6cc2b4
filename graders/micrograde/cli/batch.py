"""`micrograde batch SRC --out OUT [--jobs N | --scheduler ADDRESS] [--seed S] [--milestone m1 ...]`."""
import os
from pathlib import Path

from ..report.csv_row import integrity_summary
from ..rubric import MILESTONES
from ..errors import UsageError
from ..options import (LIMITS_GROUP, add_course_option, add_integrity_option, add_layout_option, add_limit_options,
                       limits_from)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="grade a folder or zip of submissions into a gradebook",
        description="Grade every submission in SRC (a folder with one subfolder or zip per student, "
                    "or a zip of such a folder). Writes OUT/reports/<submission>.json, OUT/grades.csv, "
                    "OUT/summary.png, OUT/index.html (the dashboard), OUT/similarity.csv and "
                    "OUT/canvas.csv, OUT/moodle.csv (LMS imports). Re-running regrades only submissions that changed.")
    p.add_argument("src", metavar="SRC", help="folder or zip of submissions")
    p.add_argument("--out", required=True, metavar="OUT", help="output folder (created if needed)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help=f"submissions graded at once on this machine (default: number of cores, {os.cpu_count() or 1} here)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786); "
                        'needs pip install "micrograde[distributed]"')
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of the random examples (default: the kit's public seed)")
    p.add_argument("--milestone", nargs="+", action="extend", choices=MILESTONES, metavar="M",
                   help=f"grade only these milestones ({' '.join(MILESTONES)})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--similarity-threshold", type=float, default=None, metavar="T",
                   help="similarity score (0 to 1) from which a pair is flagged in the dashboard "
                        "(default: the course's, else relative to the class: a pair whose score stands out "
                        "from the batch's pairs)")
    add_layout_option(p.add_argument)
    add_course_option(p.add_argument)
    add_integrity_option(p.add_argument)
    add_limit_options(p.add_argument_group(LIMITS_GROUP).add_argument)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..batch.runner import run_batch
    from ..layout.discover import load_override
    from ..report.text import terminal

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.jobs is not None and args.scheduler:
        raise UsageError("--jobs is for grading on this machine; with --scheduler the Dask workers' threads decide")
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {args.seed}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file: give a folder for the reports and gradebook")
    if args.similarity_threshold is not None and not 0 <= args.similarity_threshold <= 1:
        raise UsageError(f"--similarity-threshold must be between 0 and 1, not {args.similarity_threshold}")
    # One layout file for the whole batch: checked once here, passed to every grading.
    if args.layout:
        load_override(args.layout)
    result = run_batch(args.src, out, jobs=args.jobs, seed=args.seed, milestones=args.milestone,
                       progress=not args.no_progress, limits=limits_from(lambda dest: getattr(args, dest)),
                       layout=args.layout,
                       integrity_policy=args.integrity, similarity_threshold=args.similarity_threshold,
                       scheduler=args.scheduler, course=args.course)
    print(result.summary_text)
    problems = [(name, problem) for name, _, problem in result.outcomes if problem]
    if problems:
        print(f"\nnot graded ({len(problems)}; see the status column of grades.csv):")
        for name, problem in problems[:20]:
            # Entry names come from the students' uploads: escaped like any of their text.
            print(f"  {terminal(name)}: {terminal(problem)}")
        if len(problems) > 20:
            print(f"  ... and {len(problems) - 20} more")
    flagged = [(name, integrity_summary(report)) for name, report, _ in result.outcomes
               if report is not None and report["integrity"]]
    if flagged:
        print(f"\nflagged for review ({len(flagged)}; see the integrity column of grades.csv and each report):")
        for name, rules in flagged[:20]:
            print(f"  {terminal(name)}: {rules}")
        if len(flagged) > 20:
            print(f"  ... and {len(flagged) - 20} more")
    print(f"\ngradebook: {out / 'grades.csv'}\nreports:   {out / 'reports'}\nplot:      {out / 'summary.png'}"
          f"\ndashboard: {out / 'index.html'}\nLMS:       {out / 'canvas.csv'}, {out / 'moodle.csv'}")
    return 0
