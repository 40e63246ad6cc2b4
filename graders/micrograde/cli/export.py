"""`micrograde export REPORT --format F [--output FILE]`: render one report."""
import importlib
import sys

from ..errors import UsageError

# format name -> renderer in micrograde.report: a module exposing render(report) -> str,
# or "module:function" where one module renders several formats
FORMATS = {"gradescope": "gradescope", "markdown": "markdown", "junit": "junit", "csv": "csv_row",
           "canvas": "lms:render_canvas", "moodle": "lms:render_moodle"}


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="render a score report as Gradescope JSON, Markdown, JUnit XML, CSV or an LMS import",
                              description="Render one score report (from `micrograde grade --json`) in another format.")
    p.add_argument("report", metavar="REPORT", help="a report JSON file written by micrograde")
    # No argparse `choices`: a bad format should give our one-line message, not argparse's usage dump.
    p.add_argument("--format", required=True, metavar="FORMAT", help="one of: " + ", ".join(FORMATS))
    p.add_argument("--output", metavar="FILE", help="write here (atomically) instead of stdout")
    p.set_defaults(func=run)


def render(report: dict, fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    module, _, function = FORMATS[fmt].partition(":")
    return getattr(importlib.import_module(f"micrograde.report.{module}"), function or "render")(report)


def run(args) -> int:
    from .. import atomic
    from ..report import load_report

    if args.format not in FORMATS:
        raise UsageError(f"unknown format {args.format!r}: choose one of {', '.join(FORMATS)}")
    report = load_report(args.report)
    text = render(report, args.format)
    if args.output:
        try:
            atomic.write_text(args.output, text)
        except OSError as e:
            raise UsageError(f"cannot write {args.output}: {e.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0
