"""A real Dask cluster on 127.0.0.1 for the tests: one `dask scheduler` and `dask worker`
processes (each with its nanny, as deployed), on free ports, inside the test's tmp_path.

Every process is started in a session of its own and killed with it at the end; the
workers' TMPDIR is under tmp_path, so a grading left running by a killed worker is found
by its command line and waited for (or killed), and no process outlives the test."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT_S = 120


def _cmdlines():
    """(pid, arguments) of every process; the arguments include the contents of the
    argument files (`@FILE`) they name: the kit passes paths to its children that way."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            for arg in list(argv):
                if arg.startswith(b"@"):
                    try:
                        argv += Path(os.fsdecode(arg[1:])).read_bytes().split(b"\n")
                    except OSError:
                        pass
            yield int(proc.name), argv


def ppid_of(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(text[text.rindex(")") + 2:].split()[1])


def running_with(text: str) -> list:
    """Processes whose command line mentions `text`."""
    return [pid for pid, argv in _cmdlines() if any(text.encode() in a for a in argv)]


class Cluster:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen] = []
        self.nannies: list[int] = []
        self.address = None

    def _start(self, name: str, argv: list, env=None) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, **(env or {})})
        log.close()
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> str:
        file = self.root / "scheduler.json"
        self._start("scheduler", [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(file)],
                    # 3 worker deaths and a task is given up (Dask's default allows 4): docs/instructors.md says so too
                    env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2"})
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.address = json.loads(file.read_text())["address"]
                return self.address
            except (OSError, ValueError, KeyError):
                assert time.monotonic() < deadline, (self.root / "scheduler.log").read_text()
                time.sleep(0.1)

    def add_worker(self, name: str, env=None, hide=(), tmp_name=None) -> subprocess.Popen:
        """A worker with its nanny; `hide`: folders covered by an empty tmpfs in the
        worker's own mount namespace (root only), so it provably cannot read them;
        `tmp_name`: its TMPDIR's name under the cluster's root, shared by the workers
        given the same (default: one of its own), as on one machine."""
        tmp, local = self.root / (tmp_name or f"{name}-tmp"), self.root / f"{name}-dask"
        tmp.mkdir(exist_ok=True)
        argv = [sys.executable, "-m", "dask", "worker", self.address, "--name", name, "--nthreads", "1",
                "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(local)]
        if hide:
            script = 'for d in $HIDE; do mount -t tmpfs -o size=1m hidden "$d" || exit 1; done; exec "$0" "$@"'
            argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, *argv]
            env = {**(env or {}), "HIDE": " ".join(str(h) for h in hide)}
        proc = self._start(name, argv, env={**(env or {}), "TMPDIR": str(tmp)})
        self.nannies.append(proc.pid)
        return proc

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(n, timeout=START_TIMEOUT_S)

    def grading_worker(self, submission: str):
        """The worker process running the grading of `submission` right now, or None."""
        marker = f"/submission/{submission}".encode()
        for pid, argv in _cmdlines():
            if b"grade" in argv and any(a.endswith(marker) for a in argv):
                parent = ppid_of(pid)
                if ppid_of(parent) in self.nannies:
                    return parent
        return None

    def stop(self) -> None:
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        # Gradings a killed worker left behind end within seconds; then kill any straggler.
        deadline = time.monotonic() + 60
        while (left := running_with(str(self.root))) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in running_with(str(self.root)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert not left, f"processes outlived the cluster: {left}"
        shutil.rmtree(self.root, ignore_errors=True)
