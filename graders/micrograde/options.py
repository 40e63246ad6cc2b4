"""The options `micrograde grade`, `micrograde batch` and the pytest plugin share, each
defined once: one flag per field of `Limits`, the integrity policy, the layout file and
the course pack.

`add` is argparse's `add_argument` or pytest's `addoption` (they take the same
arguments), so the two command lines cannot drift apart. Part of the core: it imports
nothing from cli/. Nor, until a function asks, from the worker: micrograde.pytest_options
imports this module in every pytest session of the environment, a student's own projects
included, where importing the worker's package (its client, protocol, layout) is 25 ms for nothing.
"""
from dataclasses import fields

from .errors import UsageError


LIMITS_GROUP = "worker limits (recorded in the report)"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _limits():
    from .worker.limits import Limits

    return Limits


def add_limit_options(add) -> None:
    """--memory-mb N, --cpu-seconds N, ...: one per limit, stored as `limit_<field>`."""
    for f in fields(_limits()):
        add(_flag(f.name), type=type(f.default), default=f.default, dest=f"limit_{f.name}", metavar="N",
            help=f"worker limit (default {f.default})")


def limits_from(get):
    """The Limits given on a command line; `get(dest)` reads one option. UsageError if one is bad."""
    Limits = _limits()
    try:
        return Limits.from_dict({f.name: get(f"limit_{f.name}") for f in fields(Limits)})
    except ValueError as e:
        raise UsageError(str(e)) from None


def limit_flags(limits) -> list[str]:
    """The same Limits as flags for a child command line (`micrograde grade`, the grading pytest)."""
    return [f"{_flag(f.name)}={getattr(limits, f.name)}" for f in fields(_limits())]


def add_integrity_option(add) -> None:
    from .report.build import INTEGRITY_POLICIES

    add("--integrity", choices=INTEGRITY_POLICIES, default="report",
        help="report: integrity findings are listed and the score is unchanged (default); "
             "zero: a submission with findings scores 0")


def add_course_option(add) -> None:
    add("--course", default=None, metavar="DIR",
        help="course pack: a folder with course.toml (points, visibility, extra operations, the M4 task, "
             "instructor checks); default: the kit's course/ folder if any, else the default assignment")


def course_from(folder):
    """The course a command line names (None: the default); CourseError if it cannot be used."""
    from . import course

    return course.load(folder)


def add_layout_option(add) -> None:
    add("--layout", default=None, metavar="FILE",
        help="instructor's layout file: a JSON object from contract names to 'path.py[:Name]' "
             "(for a course whose files or names differ)")
