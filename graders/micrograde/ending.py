"""How a process of the kit ends once its work is done: without tearing the interpreter down.

An interpreter that has imported pytest, jsonschema and the kit takes about 0.1 s to free
every module and what it holds at exit: a tenth of `pytest graders/m1`, for nothing anyone
sees. So the `micrograde` command, pytest's command line running the graders, and the
children the kit starts end with `os._exit`, after doing what the interpreter's exit does
that can be seen: the exit handlers run (atexit: a plugin's coverage data, logging's files)
and the output is flushed.
"""
import atexit
import os
import sys
import threading


def _flushed() -> bool:
    ok = True
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            ok = False
    return ok


def _status(code) -> int:
    """The exit status of a program that returned `code`: anything but a number is a failure."""
    return code if isinstance(code, int) else 1


def end_fork(code) -> None:
    """How a fork of a warm process ends: its output flushed, then `os._exit`, so that no
    exit handler or buffer it inherited from the template runs or is written twice."""
    _flushed()
    os._exit(_status(code))


def end(code) -> None:
    """End this program with exit status `code` as the interpreter's exit would, minus its
    teardown. Returns, and leaves the exit to the program and the interpreter, while a thread
    runs that this exit waits for (not a daemon), where the exit handlers cannot be run first
    (not CPython), or when the output cannot be flushed (the program's own exit says how that
    ends: pytest's command line with status 1, for instance)."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    waited_for = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    if waited_for or run_exit_handlers is None:
        return
    run_exit_handlers()  # and forgets them: an exit left to the interpreter does not run them twice
    if _flushed():
        os._exit(_status(code))


def exit_with(code):
    """End this program with `code` (see `end`)."""
    end(code)
    raise SystemExit(code)


def pytest_command_line_runs_only_this_session() -> bool:
    """Whether pytest's own command line runs this process, with this one session in it:
    then nothing follows the session but the exit. Not when a program called pytest.main()
    (it may go on after), nor for a session run inside another one."""
    from _pytest import config

    def codes(*names):
        return {f.__code__ for f in (getattr(config, n, None) for n in names) if callable(f)}

    consoles, mains = codes("console_main", "_console_main"), codes("main", "_main")
    frame, console, sessions = sys._getframe(1), False, 0
    while frame is not None:
        console = console or frame.f_code in consoles
        sessions += frame.f_code in mains
        frame = frame.f_back
    return console and sessions == 1
