"""The pytest plugin behind `pytest graders/...`: the sandbox fixture, results, the report.

Activated by graders/conftest.py only, so it has no effect in any other pytest session (its
options come from micrograde.pytest_options, which registers them in grading sessions
only). It never imports submission code. Each grader test is one rubric check; its outcome
becomes the check's status, its message the feedback. The run's state lives in
`config.stash[GRADING]`.
"""
import functools
import inspect
import sys
import time
from pathlib import Path

import pytest

from . import __version__, capabilities, early_worker, ending, examples, integrity, output, rubric, seeds, signatures
from . import submission as submission_files
from .errors import FixtureProbeError, ProbeError, SubmissionError, UsageError
from .grading_key import grading_key
from .layout import discover as discover_layout
from .layout.render import layout_lines, lost_lines, not_found_name
from .options import course_from, limits_from
from .report import write_report
from .report.build import build_report, result
from .report.table import integrity_lines, render_table
from .report.text import seed_label, terminal
from .spec import GRADERS
from .worker import Sandbox, affinity, isolation, worker_kind
from .worker.client import enforcement, not_enforced_note

FEEDBACK_LINES = 14
WARNINGS = pytest.StashKey[list]()

class Grading:
    """One grading run: its settings, results so far, and the report it writes."""

    def __init__(self, config):
        self.config = config
        self.started = time.monotonic()
        self.submission = submission_files.check_folder(config.getoption("submission"))
        self.sha256 = submission_files.sha256(self.submission)
        self.seed = config.getoption("seed")
        self.limits = limits_from(config.getoption)
        self.report_path = Path(config.getoption("report"))
        # Where the submission's code is: read statically here, imported from there by the worker.
        # (discovered once: the workers started early were given this very layout)
        self.layout = early_worker.discovered(config, self.submission, config.getoption("layout"))
        if self.layout is None:
            self.layout = discover_layout(self.submission, config.getoption("layout"))
        self.integrity_policy = config.getoption("integrity")
        self.course = course_from(config.getoption("course"))
        # Read statically here, in the grading process; runtime evidence arrives in integrity.RUNTIME.
        # The same resolved layout as the worker's: the scan reads exactly the modules it imports.
        self.static = integrity.static_facts(self.submission, self.layout)
        self.results: dict[str, dict] = {}
        self.milestones: list[str] = []
        self.sandboxes: dict[str, Sandbox] = {}  # by worker kind (worker.worker_kind)
        self.sandbox: Sandbox | None = None  # the current check's
        self.profile: capabilities.Profile | None = None  # established once, by the first check needing it
        self.disabled: list[tuple[str, str, str]] = []  # (capability, method, pointer): methods that hang
        self.report: dict | None = None

    @functools.cached_property
    def cpu(self) -> int | None:
        """The CPU this process and the worker of the current checks share, from the first
        check on (worker/affinity.py); None where the system places them."""
        return affinity.settle()

    def check_seed(self, name: str) -> int:
        """The seed of this check's examples: keyed by the grading seed, never sent to the worker."""
        return seeds.derived(self.seed, f"check {name}")

    def capability_profile(self, sandbox: Sandbox) -> capabilities.Profile:
        if self.profile is None:
            # What the submission prints meanwhile (at import, say) goes with the check that asked first.
            # The profile's seeds reach the submission (its Neuron's weights): the check's own, never
            # one keyed by the grading seed (seeds.py).
            self.profile = capabilities.establish(sandbox, seeds.student_seed, self.disable)
        return self.profile

    def disable(self, capability: str, method: str, pointer: str) -> None:
        """A method that hangs is switched off in every worker of the run, now and later."""
        self.disabled.append((capability, method, pointer))
        for sandbox in self.sandboxes.values():
            sandbox.disable(capability, method, pointer)

    def findings(self) -> integrity.Findings:
        found = integrity.Findings(self.static.findings)
        found.extend(integrity.RUNTIME)
        graded = [{"name": name, "milestone": m, "max_score": points, "status": self.results[name]["status"]}
                  for m, name, points in rubric.checks(self.milestones, self.course) if name in self.results]
        found.extend(integrity.stub_contradictions(self.static.definitions, graded, self.layout.imports))
        return found

    def key(self) -> str:
        return grading_key(seed=self.seed, milestones=self.milestones, limits=self.limits.to_dict(),
                           integrity_policy=self.integrity_policy, layout_file=self.config.getoption("layout"),
                           course=self.course.sha256)

    def enforcement(self) -> dict:
        """How the workers' limits were held: as the workers of this run found it, or as
        this machine allows before any started."""
        held = [s.enforcement for s in self.sandboxes.values()]
        return held[0] if held else enforcement()

    def write(self, note: str = "", private: bool = False) -> dict:
        # The report's note says what a reader must know of the whole run: degraded
        # isolation, and each limit nothing held, too.
        held = self.enforcement()
        note = "; ".join(filter(None, [note, isolation.available().degraded, not_enforced_note(held)]))
        report = build_report(
            results=self.results, milestones=self.milestones, seed=self.seed,
            submission_path=str(self.submission), sha256=self.sha256, limits=self.limits.to_dict(),
            duration_s=time.monotonic() - self.started, note=note,
            integrity=self.findings().to_list(), integrity_policy=self.integrity_policy,
            layout=self.layout.report(), course=self.course, grading_key=self.key(), enforcement=held,
        )
        write_report(report, self.report_path, private)
        self.report = report
        return report


GRADING = pytest.StashKey[Grading]()
SESSION = pytest.StashKey[pytest.Session]()


def pytest_configure(config):
    """Start the grading run: check the options, read the submission, fix pytest's output."""
    if config.getoption("submission", default=None) is None:
        raise pytest.UsageError("the graders run as `pytest graders/...` from the kit, or `micrograde grade DIR`")
    # Our own summary lists every lost point with its feedback; pytest's tracebacks would
    # show grader internals instead: set here too, whatever --tb or -r the command line gives.
    config.option.tbstyle = "no"
    config.option.reportchars = "N"
    _tolerate_a_reader_that_goes_away(config)
    try:
        config.stash[GRADING] = Grading(config)
        # The grading process itself under a ceiling: nothing a submission sends grows it unbounded.
        from .grading import limit_the_grader

        limit_the_grader(config.stash[GRADING].limits)
    except UsageError as e:  # a bad --submission, --layout, --course or limit: one line, exit status 4
        raise pytest.UsageError(str(e)) from None
    _refuse_submission_plugins(config)
    config.add_cleanup(functools.partial(_end_the_command, config))
    checks = config.stash[GRADING].course.checks_dir
    if checks is not None and str(checks) not in config.args:
        # The course's instructor checks run beside the grader suites, with the same fixtures;
        # those of milestones not graded in this run are deselected at collection.
        config.args.append(str(checks))


def _tolerate_a_reader_that_goes_away(config) -> None:
    """pytest's terminal reporter, made after this hook, writes to the stdout set here
    (output.py): a closed pipe costs the rest of the output, never the report."""
    original = sys.stdout
    sys.stdout = output.ReaderTolerant(original)

    def restore():  # for a caller's own pytest.main(): its stdout is its own again
        if isinstance(sys.stdout, output.ReaderTolerant):
            sys.stdout = original
    config.add_cleanup(restore)


def _end_the_command(config) -> None:
    """Once pytest has put a grading that ran to its end away, its command line only exits:
    end it now, without the interpreter's teardown (ending.py). Any other end (an internal
    error, an interruption) takes pytest's own way out."""
    session = config.stash.get(SESSION, None)
    if session is not None and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) \
            and ending.pytest_command_line_runs_only_this_session():
        ending.end(session.exitstatus)


def _refuse_submission_plugins(config) -> None:
    """Fail closed if pytest loaded a conftest.py from the submission into this process."""
    root = str(config.stash[GRADING].submission) + "/"
    for plugin in config.pluginmanager.get_plugins():
        path = str(getattr(plugin, "__file__", "") or "")
        if path.startswith(root):
            raise pytest.UsageError(f"pytest loaded {path} from the submission: grade with "
                                    f"`micrograde grade`, or pass --submission=DIR as one argument")


def check_name(item) -> str:
    """The rubric name of a check: its function's, with a per-operation check's `operation`
    replaced by the course's operation it was collected for (rubric.operation_check)."""
    operation = getattr(item, "callspec", None) and item.callspec.params.get(rubric.OPERATION)
    return rubric.operation_check(item.originalname, operation) if isinstance(operation, str) else item.originalname


def pytest_generate_tests(metafunc):
    """A per-operation check runs once for each extra operation of the course (none: not at all)."""
    if rubric.OPERATION in metafunc.fixturenames:
        metafunc.parametrize(rubric.OPERATION, metafunc.config.stash[GRADING].course.extra_operations)


def _is_instructor_check(item) -> bool:
    return GRADERS not in Path(str(item.path)).resolve().parents


def _milestone(item) -> str:
    """The milestone that owns a check: its suite's folder, or the course's entry for an instructor check."""
    if _is_instructor_check(item):
        course = item.config.stash[GRADING].course
        name = getattr(item, "originalname", None)
        if name is None:  # a module of instructor checks: the milestone of its first check (its worker's kind)
            owners = [m for m, rel in course.instructor.values() if course.root / rel == Path(str(item.path))]
            return owners[0] if owners else ""
        return course.instructor.get(name, ("", ""))[0]
    return Path(str(item.path)).parent.name


def pytest_collection_modifyitems(session, config, items):
    """Check every grader test against the rubric, seed its examples, write the fail-closed report.
    The course switches checks off, and adds its instructor checks to the milestones graded."""
    grading = config.stash[GRADING]
    course = grading.course
    graded = {_milestone(item) for item in items if not _is_instructor_check(item)}
    known = {name: m for m, name, _ in rubric.checks(course=course)}
    every = {name: m for m, name, _ in rubric.checks()} | {n: m for n, (m, _) in course.instructor.items()}
    for m in rubric.MILESTONES:
        every |= {template: m for template, _ in rubric.operation_checks(m, [rubric.OPERATION])}
        every |= {name: m for name, _ in rubric.operation_checks(m, course.extra_operations)}
    keep, off = [], []
    for item in items:
        name = check_name(item)
        if every.get(name) != _milestone(item):
            where = "specs/rubric.json" if not _is_instructor_check(item) else f"{course.root}/course.toml"
            raise pytest.UsageError(f"grader test {item.nodeid} has no entry in {where}")
        if name not in known or _milestone(item) not in graded:
            off.append(item)
            continue
        keep.append(item)
        if hasattr(item.obj, "hypothesis"):  # an instructor's own @given check: Hypothesis is imported
            examples.property.settings()
            sys.modules["hypothesis"].seed(grading.check_seed(name))(item.obj)
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = keep
    grading.milestones = sorted(graded)
    if grading.milestones:
        # Fail closed from the start: if this process is killed, this report stays.
        grading.write(note="grading did not finish: the grading process stopped before the end", private=True)


def _header(config) -> list[str]:
    grading = config.stash[GRADING]
    return [f"micrograde {__version__}: grading {grading.submission} with seed {seed_label(grading.seed)}",
            *layout_lines(grading.layout.report())]


def pytest_report_header(config):
    """The run's settings at the top: kit version, submission, seed, where the code was found."""
    return _header(config)


def pytest_sessionstart(session):
    """Under -q (the graders' default) pytest shows no header: write the same lines once here."""
    session.config.stash[SESSION] = session  # its exit status, for the command's end
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.get_verbosity() < 0:
        for line in _header(session.config):
            reporter.write_line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A property check runs on the examples an earlier run drew for its seed (examples/):
    the same verdicts, without drawing them again."""
    check = getattr(pyfuncitem.obj, "property_check", None)
    if check is None:
        return None
    testargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    variant = pyfuncitem.callspec.id if hasattr(pyfuncitem, "callspec") else ""
    if "profile" in testargs:  # its draws depend on what works
        variant += "|" + testargs["profile"].key()
    seed = pyfuncitem.config.stash[GRADING].check_seed(check_name(pyfuncitem))
    examples.run(check, testargs, seed, verdicts=(AssertionError, ProbeError, SubmissionError), variant=variant)
    return True


@pytest.fixture(scope="session")
def grading(request) -> Grading:
    """This run's settings and results."""
    return request.config.stash[GRADING]


@pytest.fixture(scope="module")
def sandbox(grading, request) -> Sandbox:
    """The worker for this module's milestone, fresh for this submission, kept for the run."""
    kind = worker_kind(_milestone(request.node))
    if kind not in grading.sandboxes:
        grading.sandboxes[kind] = (
            early_worker.take(request.config, kind, grading.submission, grading.limits)
            or Sandbox(grading.submission, grading.limits, layout=grading.layout, plotting=kind == "plotting"))
        for disabled in grading.disabled:
            grading.sandboxes[kind].disable(*disabled)
    grading.sandbox = grading.sandboxes[kind]
    grading.sandbox.share_cpu(grading.cpu)
    return grading.sandbox


@pytest.fixture(scope="module")
def profile(grading, sandbox) -> capabilities.Profile:
    """The submission's capability profile (capabilities.py), established once per run."""
    return grading.capability_profile(sandbox)


@pytest.fixture
def owned(profile, request):
    """For a check that owns a capability: its verdict, from the profile's run of its probes."""
    return lambda: profile.expect_owned(request.node.originalname)


@pytest.fixture
def check_seed(request) -> int:
    """The seed the probes give the submission's `random` in this check: fixed per check (the
    same run twice, the same initial weights) and unrelated to the grading seed, which the
    worker must not learn (micrograde/seeds.py)."""
    return seeds.student_seed(check_name(request.node))


@pytest.fixture
def warn(request):
    """Attach a warning to this check's report entry without costing points."""
    request.node.stash[WARNINGS] = []
    return request.node.stash[WARNINGS].append


# Said after the example when the same example passed on Hypothesis' replay: the student's
# result changes between runs of one program (an `=` for `+=` over a set of nodes, hashed by id).
NOT_REPEATED = ("(the same program gave the right answer when the grader ran it again: your result "
                "changes from run to run, e.g. it depends on the order in which a set of nodes is walked)")


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    """Let a fixture's probe error reach pytest as a FixtureProbeError, which it keeps."""
    func = fixturedef.func
    if getattr(func, "_probe_errors_kept", False) or inspect.isgeneratorfunction(func):
        return None

    @functools.wraps(func)
    def kept(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ProbeError as e:
            raise FixtureProbeError(e) from None
    kept._probe_errors_kept = True
    fixturedef.func = kept
    return None


def _feedback(excinfo) -> tuple[str, str]:
    return _feedback_of(excinfo.value)


def _feedback_of(exc) -> tuple[str, str]:
    errors = sys.modules.get("hypothesis.errors")  # a Flaky failure: only once Hypothesis ran
    if errors is not None and isinstance(exc, errors.Flaky) and getattr(exc, "exceptions", None):
        # The failure Hypothesis saw first, not its wrapper (whose text holds object addresses).
        status, text = _feedback_of(exc.exceptions[0])
        return status, f"{text}\n{NOT_REPEATED}"
    if isinstance(exc, SubmissionError) and signatures.hint(exc.type_name, exc.message):
        # On the first line, the one a student reads: which signature the call expected.
        first, _, rest = exc.feedback.partition("\n")
        text = f"{first} ({signatures.hint(exc.type_name, exc.message)})"
        return exc.status, f"{text}\n{rest}" if rest else text
    if isinstance(exc, (ProbeError, SubmissionError, FixtureProbeError)):
        return exc.status, exc.feedback
    if isinstance(exc, AssertionError):
        message = str(exc.args[0]) if exc.args else "check failed"
        return "failed", message.split("\nassert ")[0]
    return "error", f"{type(exc).__name__}: {exc}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Record each check's status, feedback, duration, captured output and warnings."""
    report = yield
    grading = item.config.stash[GRADING]
    name = check_name(item)
    if report.when == "call" or (report.failed and report.when == "setup"):
        if report.passed:
            status, feedback = "passed", ""
        else:
            status, feedback = _feedback(call.excinfo)
        output = grading.sandbox.take_output() if grading.sandbox else ""
        warning = "; ".join(item.stash.get(WARNINGS, []))
        grading.results[name] = result(status, feedback, call.duration, output, warning)
    return report


def pytest_sessionfinish(session, exitstatus):
    """Stop the workers and write the final report."""
    grading = session.config.stash[GRADING]
    for sandbox in grading.sandboxes.values():
        sandbox.close()
    early_worker.close(session.config)  # no worker of the run is left when the report becomes readable
    if grading.milestones:
        grading.write()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """What to fix (every lost check with its feedback), warnings, integrity, the points table."""
    grading = config.stash[GRADING]
    if grading.report is None:
        return
    report = grading.report
    lost = [t for t in report["tests"] if t["status"] != "passed" and t["max_score"] > 0]
    if lost:
        terminalreporter.write_sep("=", "what to fix")
        for line in lost_lines(lost):
            terminalreporter.write_line(line, bold=True)
        for t in lost:
            if not_found_name(t):
                continue  # said once above, and where the grader looked is at the top
            terminalreporter.write_line(f"{t['milestone']} {t['name']} [{t['status']}]", bold=True)
            # The feedback quotes the submission (messages, reprs): escaped, so that no
            # control sequence can redraw the terminal, the points table below included.
            lines = terminal(t["feedback"]).splitlines() or ["(no feedback)"]
            for line in lines[:FEEDBACK_LINES]:
                terminalreporter.write_line(f"    {line}")
            if len(lines) > FEEDBACK_LINES:
                terminalreporter.write_line(f"    ... ({len(lines) - FEEDBACK_LINES} more lines in the report)")
    for t in report["tests"]:
        if t.get("warning"):
            terminalreporter.write_line(f"warning: {t['name']}: {terminal(t['warning'])}", yellow=True)
    if isolation.available().degraded:
        terminalreporter.write_line(f"warning: {isolation.available().degraded}", yellow=True)
    if report["integrity"]:
        terminalreporter.write_sep("=", "integrity: flagged for review")
        for line in integrity_lines(report):
            terminalreporter.write_line(terminal(line), yellow=True)
    terminalreporter.write_sep("=", "micrograde score")
    terminalreporter.write_line(render_table(report))
    if lost:
        first = (terminal(lost[0]["feedback"]).splitlines() or ["(no feedback)"])[0]
        terminalreporter.write_line(f"\nStart here: {lost[0]['name']}: {first}")
    terminalreporter.write_line(f"report: {grading.report_path}")
