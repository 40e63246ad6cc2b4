"""Warm templates: a batch's job slot grades each submission in a fork of a process that has
already imported the kit, pytest and Hypothesis, instead of starting two interpreters.

Per job slot, one template process (cli/warm.py) is started the way every kit child is
(`children.python`: isolated, this kit first). It imports the code of a grading and then
only waits: it never grades, never sees a seed, a submission or an expected value. For
each submission it forks a grading process, which runs `micrograde grade` exactly as the
batch's child would (same arguments, from the same private folder, output to the same log)
and, being warm (`children.WARM`), forks its pytest child from itself rather than starting
one. Every grading starts from the template's untouched state, so nothing of one submission
reaches the next; the submission's own code runs, as always, only in the workers that
grading starts, isolated (worker/). What the two say to each other: cli/warm.py.

Beside it, per slot, two template workers (worker/forkserver.py), plain and plotting: the
grading's workers are forks of them, each then isolated exactly as a spawned worker is.
Their sockets reach the gradings only (an inherited descriptor, MICROGRADE_WORKER_TEMPLATE).
"""
import json
import os
import subprocess
from pathlib import Path

from .. import children
from ..worker import affinity, forkserver
from ..worker.client import worker_environment

# The template process is the CLI's (cli/warm.py), started like every kit child: by name.
SERVE = "from micrograde.cli.warm import serve; serve()"


def available() -> bool:
    return children.forks_safely()


class Template:
    """One job slot's template process, started on first use."""

    def __init__(self, workers: bool = True):
        self.proc = None
        self.workers = workers and forkserver.available()  # template workers too (worker/forkserver.py)
        self.worker_templates = []

    def _start(self):
        self._close_worker_templates()
        env = affinity.left_to_the_system(os.environ)  # gradings side by side: placed by the system
        if self.workers:  # a worker's environment; the home they prepare in is their own
            self.worker_templates = [forkserver.Template(kind, worker_environment("/")) for kind in forkserver.KINDS]
            env[forkserver.ENV] = ",".join(f"{t.kind}:{t.client.fileno()}" for t in self.worker_templates)
        self.proc = subprocess.Popen(children.python(SERVE), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd="/", text=True, env=env,
                                     pass_fds=[t.client.fileno() for t in self.worker_templates])
        for worker_template in self.worker_templates:  # the gradings hold it now: its end is theirs
            worker_template.client.close()

    def grade(self, argv: list[str], cwd: str, log_path) -> int | None:
        """Run `micrograde grade argv` in a fork of the template; its exit status, or None if
        the template is gone (the caller then grades as it would without one)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            # Absolute: the grading runs from `cwd`, where a relative --out means nothing.
            request = {"argv": argv, "cwd": str(cwd), "log": str(Path(log_path).resolve())}
            self.proc.stdin.write(json.dumps(request) + "\n")
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
        self._close_worker_templates()

    def _close_worker_templates(self) -> None:
        for worker_template in self.worker_templates:
            worker_template.close()
        self.worker_templates = []
