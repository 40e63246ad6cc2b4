"""`micrograde grade DIR`: grade one submission, print the points table, write the report."""
import sys

from .. import grading
from .. import submission as submission_files
from ..errors import UsageError
from ..spec import DEFAULT_SEED
from ..options import (LIMITS_GROUP, add_course_option, add_integrity_option, add_layout_option, add_limit_options,
                       limits_from)


def register(subparsers) -> None:
    parser = subparsers.add_parser("grade", help="grade one submission folder",
                                   description="Grade the submission in DIR (a folder: its code may be the micrograd/ package, other packages, flat modules or notebooks).")
    parser.add_argument("submission", metavar="DIR")
    parser.add_argument("--milestone", nargs="+", action="extend", choices=grading.rubric.MILESTONES, metavar="M",
                        help=f"grade only these milestones ({' '.join(grading.rubric.MILESTONES)}; default: all)")
    parser.add_argument("--json", default="micrograde-report.json", metavar="PATH", help="where to write the report")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="grading seed")
    add_layout_option(parser.add_argument)
    add_course_option(parser.add_argument)
    add_integrity_option(parser.add_argument)
    add_limit_options(parser.add_argument_group(LIMITS_GROUP).add_argument)
    parser.set_defaults(func=run)


def run(args) -> int:
    folder = submission_files.check_folder(args.submission)
    if args.seed < 0:
        raise UsageError("--seed must be a whole number >= 0")
    report = grading.grade(folder, args.json, milestones=args.milestone, seed=args.seed,
                           limits=limits_from(lambda dest: getattr(args, dest)),
                           integrity_policy=args.integrity, layout=args.layout, course=args.course)
    if not any(entry["found"] for entry in report.get("layout", {}).get("names", {}).values()):
        print(f"micrograde grade: warning: none of the contract's names was found in {folder} "
              f"({report.get('layout', {}).get('searched_count', 0)} Python files and notebooks read)", file=sys.stderr)
    if report["status"] != "complete":
        print(f"micrograde grade: {report.get('note', 'grading did not finish')}; report: {args.json}", file=sys.stderr)
    return 0
