"""How the kit starts Python children of its own: the grading pytest, a batch's `grade` runs.

Each child runs isolated (`-I`): neither the working directory, nor PYTHONPATH, nor the
user's site-packages is on its import path, so a folder named `micrograde/` (or `pytest/`)
in a batch's SRC, where an instructor may well stand, is never imported as root. The
kit's own package folder is put first explicitly, so the child runs exactly this kit.
"""
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import ending

PACKAGE_PARENT = str(Path(__file__).resolve().parents[1])
LAUNCHED_IN = os.path.abspath(os.getcwd())
# True in the `micrograde` command where the machine can fork (cli.console), and so in a
# batch's grading process (batch/template.py, a fork of a template that imported pytest and
# the kit): its grading child is a fork of it, not a new interpreter importing the kit again.
WARM = False
# In a batch's gradings: "plain:FD,plotting:FD", the inherited sockets of this job slot's
# template workers (worker/forkserver.py).
WORKER_TEMPLATES = "MICROGRADE_WORKER_TEMPLATE"


def forks_safely() -> bool:
    """Whether a process that has imported the kit may fork and go on running Python in the
    child: not on macOS, where system frameworks loaded by then are unsafe in a fork."""
    from .worker import facilities  # imported here: the worker's modules import this one

    offered = facilities.current()
    return offered.fork and offered.sessions and sys.platform != "darwin"


def _boot(statement: str) -> str:
    """`statement`, run with this kit's package first on the import path."""
    return f"import sys; sys.path.insert(0, {PACKAGE_PARENT!r}); {statement}"


def python(statement: str, dont_write_bytecode: bool = False) -> list[str]:
    """argv of an isolated interpreter that runs `statement` with this kit importable first."""
    return [sys.executable, "-I", *(["-B"] if dont_write_bytecode else []), "-c", _boot(statement)]


def hash_seeded(statement: str, folder) -> dict:
    """subprocess.run() arguments of a child that needs a fixed string hash (PYTHONHASHSEED=0).

    `-I` would ignore that variable, so isolation comes another way: the child runs in
    `folder` (an empty private folder; `-c` puts the working directory on the import path),
    with no user site-packages and no PYTHONPATH.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    return {"args": [sys.executable, "-s", "-c", _boot(statement)], "env": env, "cwd": folder}


def pytest_command() -> list[str]:
    """`python -m pytest`, isolated; the arguments follow (pytest.main() reads sys.argv)."""
    return python("import pytest; from micrograde.ending import exit_with; exit_with(pytest.main())")


def start_pytest(args: list[str], cwd, env: dict, output=None):
    """The grading child: pytest with `args`, in its own session; a Popen, or its like.

    A fresh interpreter (`pytest_command`); in a warm process, a fork of this one, which has
    everything that interpreter would import already imported and no grading of its own yet.
    `output`: where its stdout and stderr go (None: this process's stdout)."""
    from .worker import facilities  # imported here: the worker's modules import this one

    if not (WARM and facilities.current().fork and threading.active_count() == 1):  # no fork beside a thread
        # A template worker's socket is held by forks only (worker/forkserver.py): a new
        # interpreter has no such descriptor, whatever number the variable names.
        env = {k: v for k, v in env.items() if k != WORKER_TEMPLATES}
        return subprocess.Popen([*pytest_command(), *args], cwd=cwd, env=env, stdout=output,
                                stderr=subprocess.STDOUT if output is not None else None, **facilities.new_group())
    return _ForkedPytest(args, cwd, env, output)


class _ForkedPytest:
    """A forked grading child, with the part of Popen's interface grade() uses."""

    POLL_S = 0.02

    def __init__(self, args, cwd, env, output):
        from .worker import facilities

        sink = None
        if output == subprocess.DEVNULL:
            sink = os.open(os.devnull, os.O_WRONLY)
        elif output is not None:
            sink = output.fileno()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        self.returncode = None
        if self.pid == 0:
            code = 70
            try:
                facilities.new_session()
                # As a new interpreter's -I would: the directory the command was run from is
                # not on the import path of the grading (a student's `hypothesis.py` there).
                sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != LAUNCHED_IN]
                if sink is not None:
                    os.dup2(sink, 1)
                    os.dup2(sink, 2)
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(env)
                import pytest

                code = int(pytest.main(list(args)))
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                ending.end_fork(code)
        if output == subprocess.DEVNULL:
            os.close(sink)
        # Readable when the child ends (Linux 5.3): the wait below returns then, not at its
        # next poll (POLL_S later, 10 ms of every grading on average).
        try:
            self._exited = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # another system, an older kernel, a filter that refuses it
            self._exited = None

    def wait(self, timeout=None):
        """Its exit status (negative: the signal that ended it), or TimeoutExpired after `timeout` s."""
        end = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, 0 if end is None else os.WNOHANG)
            except ChildProcessError:  # reaped by a sweep (processes.kill_everything), which killed it
                self.returncode = -9
                break
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
            elif time.monotonic() >= end:
                raise subprocess.TimeoutExpired("pytest", timeout)
            elif self._exited is not None:
                select.select([self._exited], [], [], min(max(end - time.monotonic(), 0.0), 1.0))
            else:
                time.sleep(self.POLL_S)
        if self._exited is not None:
            os.close(self._exited)
            self._exited = None
        return self.returncode


def micrograde_command() -> list[str]:
    """`python -m micrograde`, isolated; the arguments follow."""
    return python("from micrograde.cli import main; from micrograde.ending import exit_with; exit_with(main())")


def secret_arguments(folder, arguments) -> str:
    """`@FILE` for arguments that must not be on a command line (any process may read those
    in /proc): a private seed, a batch's SRC and OUT paths. The file is readable by us only.

    Both argparse-based command lines we start (pytest's and micrograde's) expand @FILE.
    """
    path = Path(folder) / "secret-arguments"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)  # none on Windows
    with os.fdopen(fd, "w") as f:
        f.write("".join(f"{a}\n" for a in arguments))
    return f"@{path}"
