"""The `micrograde` command: one subcommand per module in this folder."""
import argparse
import importlib
import sys

from .. import children, ending
from ..errors import MicrogradeError

SUBCOMMANDS = ["grade", "batch", "export", "gradescope_bundle", "release", "course"]


class Parser(argparse.ArgumentParser):
    """No abbreviated options: `grade --out X` was taken for `--output-kb X`, and its error
    named an option the user never typed. Subcommands' parsers are of this class too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="micrograde",
        description="Grade build-micrograd-from-scratch submissions.",
        # `micrograde grade @FILE` reads arguments from FILE, one a line: how a batch passes
        # a private seed and paths to its children without putting them on a command line.
        fromfile_prefix_chars="@",
    )
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"micrograde {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse has printed the usage error or the help
        return e.code
    try:
        return args.func(args) or 0
    except MicrogradeError as e:  # the one place where an error becomes a message and a status
        print(e.user_message(args.command), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"micrograde {args.command}: interrupted", file=sys.stderr)
        return 130


def console():
    """The `micrograde` command in a process of its own: there, a grading's child can be a
    fork of this process, which has imported most of what the child needs (never in a
    caller's process, which `main()` serves)."""
    children.WARM = children.WARM or children.forks_safely()
    ending.exit_with(main())
