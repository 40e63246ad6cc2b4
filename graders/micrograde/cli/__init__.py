"""The `micrograde` command: one subcommand per module in this folder."""
import argparse
import importlib
import sys

SUBCOMMANDS = ["grade", "batch", "export", "gradescope_bundle", "release"]


class UsageError(Exception):
    """Bad input from the user: printed as one line that says what to do, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="micrograde",
        description="Grade build-micrograd-from-scratch submissions.",
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
    except UsageError as e:
        print(f"micrograde {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"micrograde {args.command}: interrupted", file=sys.stderr)
        return 130
