"""Warm templates: a batch's job slot grades each submission in a fork of a process that has
already imported the kit, pytest and Hypothesis, instead of starting two interpreters.

Per job slot, one template process (`serve`) is started the way every kit child is
(`children.python`: isolated, this kit first). It imports the code of a grading and then
only waits: it never grades, never sees a seed, a submission or an expected value. For
each submission it forks a grading process, which runs `micrograde grade` exactly as the
batch's child would (same arguments, from the same private folder, output to the same log)
and, being warm (`children.WARM`), forks its pytest child from itself rather than starting
one. Every grading starts from the template's untouched state, so nothing of one submission
reaches the next; the submission's own code runs, as always, only in the workers that
grading starts fresh and isolated (worker/).

Grader -> template, one JSON line per submission: {"argv", "cwd", "log"}; template ->
grader, one line: the grading's exit status (negative: the signal that ended it).
"""
import json
import os
import subprocess
import sys

from .. import children

SERVE = "from micrograde.batch.template import serve; serve()"


def available() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin"  # macOS: fork after imports is unsafe


class Template:
    """One job slot's template process, started on first use."""

    def __init__(self):
        self.proc = None

    def _start(self):
        self.proc = subprocess.Popen(children.python(SERVE), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd="/", text=True)

    def grade(self, argv: list[str], cwd: str, log_path) -> int | None:
        """Run `micrograde grade argv` in a fork of the template; its exit status, or None if
        the template is gone (the caller then grades as it would without one)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "log": str(log_path)}) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            return int(json.loads(answer))
        except (OSError, ValueError, TypeError):
            self.close()
            return None

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def _preload() -> None:
    """Import what a grading process and its pytest child import; run nothing of theirs."""
    os.environ.setdefault("HYPOTHESIS_NO_PLUGINS", "1")  # as pytest_options sets it for the child
    import _pytest.python  # noqa: F401
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401

    from .. import cli, plugin, pytest_options  # noqa: F401
    from ..exprgen import strategies  # noqa: F401
    from ..report import io  # noqa: F401


def serve() -> None:
    """The template's loop: fork one grading per request, answer with its exit status."""
    import gc

    requests, answers = sys.stdin, sys.stdout
    _preload()
    gc.collect()
    gc.freeze()  # the imported heap is shared with every fork, not copied by its collections
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _grading(request)
        _, status = os.waitpid(pid, 0)
        answers.write(f"{os.waitstatus_to_exitcode(status)}\n")
        answers.flush()


def _grading(request) -> None:
    """In the fork: `micrograde grade` as the batch's child runs it; never returns."""
    code = 70
    try:
        os.chdir(request["cwd"])
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(devnull)
        children.WARM = True
        from ..cli import main

        code = main(request["argv"])
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code if isinstance(code, int) else 1)
