"""The options `micrograde grade`, `micrograde batch` and the pytest plugin share, each
defined once: one flag per field of `Limits`, the integrity policy, the layout file and
the course pack.

`add` is argparse's `add_argument` or pytest's `addoption` (they take the same
arguments), so the two command lines cannot drift apart. Part of the core: it imports
nothing from cli/.
"""
from dataclasses import fields

from .errors import UsageError
from .worker.limits import Limits


LIMITS_GROUP = "worker limits (recorded in the report)"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_limit_options(add) -> None:
    """--memory-mb N, --cpu-seconds N, ...: one per limit, stored as `limit_<field>`."""
    for f in fields(Limits):
        add(_flag(f.name), type=type(f.default), default=f.default, dest=f"limit_{f.name}", metavar="N",
            help=f"worker limit (default {f.default})")


def limits_from(get) -> Limits:
    """The limits given on a command line; `get(dest)` reads one option. UsageError if one is bad."""
    try:
        return Limits.from_dict({f.name: get(f"limit_{f.name}") for f in fields(Limits)})
    except ValueError as e:
        raise UsageError(str(e)) from None


def limit_flags(limits: Limits) -> list[str]:
    """The same limits as flags for a child command line (`micrograde grade`, the grading pytest)."""
    return [f"{_flag(f.name)}={getattr(limits, f.name)}" for f in fields(Limits)]


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
