"""The check-authoring API for a course's instructor checks (a course pack's checks/ folder).

An instructor check is a pytest function `def test_<required_behaviour>(sandbox, ...)` with
its rubric entry (milestone, points, visibility) in course.toml. It has what the kit's own
checks have:

- the `sandbox` fixture: the worker of its milestone, under the same limits and deadlines;
  `sandbox.call(probes.X, what, **args)` runs one of the kit's probes (micrograde.probes.names);
- `run(sandbox, fn, what, **args)` (here): runs the instructor's own function `fn(mg, **args)`
  inside the worker, where `mg.Value`, `mg.MLP`, ... are the submission's contract names, and
  returns its answer, which must be plain data (numbers, strings, lists, dicts). The function is
  sent as source: it may use the standard library, and is refused (CheckRefused, the check
  scores 0 with that message) if it imports the kit, whose trusted side never enters the worker;
- `micrograde.expect` (expect_close, expect_all_close, fmt) for messages a student can act on;
- the program strategies of `micrograde.exprgen.strategies` with `hypothesis.given`: seeded from
  the grading seed like every property check;
- `grading` (the run: its seed and course) and `check_seed` fixtures.

Expected values are computed here, in the grading process (e.g. with `math` or
micrograde.trusted), never taken from the submission.
"""
import inspect
import textwrap

from .errors import CheckRefused
from .probes import names
from .probes.kit_imports import kit_imports


def source_of(fn) -> str:
    """The function's own source, dedented (a check may define it inside the test)."""
    return textwrap.dedent(inspect.getsource(fn))


def run(sandbox, fn, what: str, timeout: float | None = None, **args):
    """`fn(mg, **args)` run on the submission in the worker; its plain-data answer."""
    source = source_of(fn)
    found = kit_imports(source)
    if found:
        raise CheckRefused(f"instructor check refused: {fn.__name__} imports {', '.join(found)} to run in the "
                           f"worker; the kit (its trusted side above all) never enters the worker: compute "
                           f"expected values in the check itself, outside `{fn.__name__}`")
    return sandbox.call(names.COURSE_RUN, what, timeout=timeout, source=source, function=fn.__name__, args=args)
