"""The template process of a batch's job slot (batch/template.py): imports what a grading
imports, then forks one `micrograde grade` per request, and never grades itself.

Grader -> template, one JSON line per submission: {"argv", "cwd", "log"}; template ->
grader, one line: the grading's exit status (negative: the signal that ended it).
"""
import json
import os
import sys

from .. import children, ending


def _preload() -> None:
    """Import what a grading process and its pytest child import; run nothing of theirs."""
    os.environ.setdefault("HYPOTHESIS_NO_PLUGINS", "1")  # as pytest_options sets it for the child
    import _pytest.python  # noqa: F401
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401

    from .. import plugin, pytest_options  # noqa: F401
    from . import grade  # noqa: F401
    from ..exprgen import strategies  # noqa: F401
    from ..report import io

    io.prepare()  # jsonschema: imported where a report is first validated, so here explicitly


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
        from . import main

        code = main(request["argv"])
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        ending.end_fork(code)
