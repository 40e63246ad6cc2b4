"""The worker-limit flags shared by `grade` and `batch`, one per field of Limits."""
from dataclasses import fields

from ..worker.limits import Limits


def add_limit_options(parser) -> None:
    group = parser.add_argument_group("worker limits (recorded in the report)")
    for f in fields(Limits):
        group.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default,
                           dest=f"limit_{f.name}", metavar="N", help=f"default {f.default}")


def limit_flags(limits: Limits) -> list[str]:
    """The same limits as command-line flags, for a `micrograde grade` or pytest child."""
    return [f"--{f.name.replace('_', '-')}={getattr(limits, f.name)}" for f in fields(Limits)]


def limits_from(args) -> Limits:
    from ..errors import UsageError

    try:
        return Limits.from_dict({f.name: getattr(args, f"limit_{f.name}") for f in fields(Limits)})
    except ValueError as e:
        raise UsageError(str(e)) from None


def add_integrity_option(parser) -> None:
    from ..report.build import INTEGRITY_POLICIES

    parser.add_argument("--integrity", choices=INTEGRITY_POLICIES, default="report",
                        help="report: integrity findings are listed and the score is unchanged (default); "
                             "zero: a submission with findings scores 0")
