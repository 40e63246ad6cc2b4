"""Every error the kit raises on purpose, in one place.

Four families, by who sees them:

- `MicrogradeError` and its subclasses end a `micrograde` command. Each carries its exit
  status (`exit_code`) and its one line for the user (`user_message`); `cli.main` handles
  them all in one place. 2 means "your input: here is what to do", 3 "the kit failed".
- `ZipProblem` ends one submission of a batch (the gradebook's status column says why);
  `SimilarityUnavailable`/`SimilarityFailed` end a batch's similarity pass, not the batch.
- `ProbeError` and `SubmissionError` end one check. Each carries the report `status` it
  maps to and the feedback the student reads (`feedback`). ProbeError derives from
  BaseException on purpose: Hypothesis shrinks on Exception, and shrinking a timeout would
  cost one deadline per shrink step. An exception raised by the submission's own code
  stays an Exception, so Hypothesis shrinks it to the smallest program that raises it.
- `Missing`, `ImportHung` and `ProtocolError` are raised inside the worker or on the
  pipe; the worker turns them into replies (worker/protocol.py) and the grader into the
  errors above.

This module imports nothing: the worker loads it too, before the submission is on its path.
"""


# -- ending a command ------------------------------------------------------------------
class MicrogradeError(Exception):
    """A failure that ends a `micrograde` command with one line on stderr."""

    exit_code = 1

    def user_message(self, command: str) -> str:
        return f"micrograde {command}: error: {self}"


class UsageError(MicrogradeError):
    """Bad input from the user; the message says what to do instead."""

    exit_code = 2


class NotASubmission(UsageError):
    """The submission folder cannot be graded at all (it is not there, or not a folder)."""


class SourceError(UsageError):
    """A batch's SRC (folder or zip of submissions) cannot be read as submissions."""


class ReportError(UsageError):
    """A report that is missing, unreadable or not valid against the schema."""


class ClusterError(UsageError):
    """`batch --scheduler`: the Dask cluster cannot be used (Dask not installed, scheduler
    unreachable, no worker with this kit's version)."""


class LayoutError(UsageError):
    """An instructor's layout file that cannot be used (bad format, unknown contract name)."""


class CourseError(UsageError):
    """A course pack (course.toml and its checks/) that cannot be used. The message names the
    file, the key and what is allowed there."""


class KitError(MicrogradeError):
    """The kit itself failed: a fault of the grader (or of its installation), not of the
    user's input nor of the submission. Also raised when a release or bundle would ship
    the solution, and when a probe asks for a name outside specs/contract.json."""

    exit_code = 3


# -- ending one submission of a batch ------------------------------------------------
class ZipProblem(Exception):
    """A student's zip cannot be used: broken, unsafe or too big. str() says which, in one
    line; the batch records it as the submission's status (`bad_zip: ...`) and goes on."""



class SimilarityUnavailable(Exception):
    """copydetect is not installed (the `similarity` extra): the batch goes on without it."""


class SimilarityFailed(Exception):
    """The similarity fingerprinting child process failed; str() says how. The batch goes on."""


# -- ending a check --------------------------------------------------------------------
class ProbeError(BaseException):
    """A probe gave no usable answer. `status` is the report status it maps to."""

    status = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def feedback(self) -> str:
        return self.message


class ProbeTimeout(ProbeError):
    status = "timeout"


class WorkerCrashed(ProbeError):
    status = "error"


class MissingName(ProbeError):
    """The submission lacks a contract name, or still has the template's stub for it."""

    status = "missing"


class CheckRefused(ProbeError):
    """An instructor check asked the worker to run code that imports the kit (its trusted
    side included) or reaches past its arguments: refused before anything reaches the worker."""

    status = "error"


class NotGradedSeparately(ProbeError):
    """The check cannot be built without a capability that fails and is charged in the check
    that owns it (capabilities.py); the feedback names the capability and that check."""

    status = "error"


class SubmissionError(Exception):
    """The submission's code raised an exception: type, message and its own traceback lines."""

    status = "error"

    def __init__(self, type_name: str, message: str, traceback_lines: list[str]):
        self.type_name = type_name
        self.message = message
        self.traceback_lines = traceback_lines
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"{self.type_name}: {self.message}" if self.message else self.type_name
        if self.traceback_lines:
            text += "\n" + "\n".join(self.traceback_lines)
        return text

    @property
    def feedback(self) -> str:
        return self.describe()


# -- inside the worker and on the pipe -------------------------------------------------
class Missing(Exception):
    """Inside the worker: the submission lacks `name`; becomes a `MissingName` for the grader."""

    def __init__(self, name: str, detail: str = ""):
        super().__init__(name)
        self.name = name
        self.detail = detail


class Unavailable(BaseException):
    """Inside the worker: the submission called a method the grader switched off because it
    hangs (charged once, in the check that owns it). A BaseException, so that a student's
    `except Exception` does not swallow it."""

    def __init__(self, capability: str):
        super().__init__(capability)
        self.capability = capability


class ImportHung(Exception):
    """Inside the worker: an import that hung or crashed a previous worker, not tried again."""


class ImportFailed(Exception):
    """Inside the worker: importing a submission module raised. `error` is the one described
    error every check needing that module gets; the module is never tried again."""

    def __init__(self, error: dict):
        super().__init__(error["message"])
        self.error = error


class ProtocolError(Exception):
    """The other side sent something that is not a frame of JSON data."""


class Refused(RuntimeError):
    """Inside the worker: an operation the audit hook (worker/audit.py) does not allow
    submission code, raised where the submission asked."""


# -- inside the grading process: signals, never a check's result ------------------------
class FixtureProbeError(Exception):
    """A probe error raised while a shared fixture was set up (the operations of Value, say).
    An Exception, so pytest keeps it and gives every check that needs the fixture the same
    status and feedback; a ProbeError (a BaseException) is not kept, and the next check would
    read only pytest's own bare assertion ('check failed')."""

    def __init__(self, error):
        super().__init__(error.feedback)
        self.status, self.feedback = error.status, error.feedback


class ReplayDiverged(BaseException):
    """The example cache (examples/replay.py): the test left the recorded path, Hypothesis
    grades it alone. A BaseException, so that neither the test's body nor Hypothesis takes
    it for a failure of the check."""


class ReplayStopped(BaseException):
    """The example cache: the recorded example was ended by Hypothesis at this draw."""
