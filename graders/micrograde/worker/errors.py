"""What can go wrong with a probe, as the grader sees it.

Timeouts, crashes and missing names derive from BaseException on purpose: Hypothesis
shrinks on Exception, and shrinking a timeout would cost one deadline per shrink step.
An exception raised by the submission's own code stays an Exception, so Hypothesis
shrinks it to the smallest program that raises it.
"""


class ProbeError(BaseException):
    """A probe gave no usable answer. `status` is the report status it maps to."""

    status = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ProbeTimeout(ProbeError):
    status = "timeout"


class WorkerCrashed(ProbeError):
    status = "error"


class MissingName(ProbeError):
    """The submission lacks a contract name, or still has the template's stub for it."""

    status = "missing"


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
