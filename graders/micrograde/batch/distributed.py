"""Grading a batch on a Dask cluster (`micrograde batch SRC --out OUT --scheduler ADDRESS`).

Each submission travels as data: its files (the ones the content hash covers), zipped.
A task unpacks them into a private temporary folder on a worker, grades them with the
same child process as the local pool (child.py) and returns the report and the log as
bytes. Workers need no shared filesystem and never see SRC, OUT or another submission;
this client alone writes OUT, each report as it arrives, so an interrupted batch keeps
everything already received.

Dask is imported only here and only when a scheduler is given: the local pool and the
CLI never need it (`pip install "micrograde[distributed]"` adds it)."""
import hashlib
import io
import json
import os
import shutil
import socket
import tempfile
import uuid
import zipfile
from pathlib import Path

from .. import __version__, atomic
from .. import submission as submission_files
from ..errors import ClusterError, ReportError
from ..report import validate_report, write_report
from . import child

INSTALL_HINT = 'pip install "micrograde[distributed]"'
DEFAULT_PORT = 8786  # `dask scheduler`'s
CONNECT_TIMEOUT = "20s"
# Tasks handed to the scheduler beyond the cluster's threads: enough that no worker waits
# for the client, few enough that 10,000 zipped submissions never sit in memory at once.
QUEUED_PER_THREAD = 2
# A task that lands on a worker with another kit version is sent elsewhere this often.
MAX_REFUSALS = 3
TASK_PREFIX = "micrograde-task-"  # + the worker's pid: whose folder it is
# Fixed zip entry metadata: the same files always make the same payload bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# --- on the client ----------------------------------------------------------------------

def pack(root) -> tuple[bytes, str]:
    """The submission's files as zip bytes, and their content hash: the same files and
    order as submission.sha256, so the worker's report carries this very hash."""
    root = Path(root)
    buf, digest = io.BytesIO(), hashlib.sha256()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in submission_files.files(root):
            data = (root / rel).read_bytes()
            digest.update(rel.as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
            info = zipfile.ZipInfo(rel.as_posix(), ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue(), digest.hexdigest()


class DaskPool:
    """The batch's pool on a Dask cluster; same interface as runner.LocalPool."""

    def __init__(self, address: str, log):
        try:
            import distributed  # noqa: F401  (only to fail early, before anything is hashed)
        except ImportError:
            raise ClusterError(f"--scheduler needs Dask, which is not installed here: {INSTALL_HINT}") from None
        self.address = address
        self.description = f"scheduler {address}"
        self.log = log
        self.client = None
        self.refused: dict[str, str] = {}  # worker address -> why it gets no work
        self._futures = {}  # future -> (submission, content hash) of every task in flight

    # -- connecting and checking the workers --

    def connect(self):
        """Connect and check the workers (once): before the batch writes anything."""
        from distributed import Client

        if self.client is not None:
            return

        self._check_reachable()
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {self.address} ({e}): "
                               "is it running, and is the address right?") from None
        try:
            self._check_workers()
        except BaseException:
            self.close(interrupted=True)
            raise

    def _check_workers(self) -> None:
        if not self.client.scheduler_info()["workers"]:
            self.log(f"no Dask worker has joined {self.address} yet: waiting for one (Ctrl-C to stop)")
            self.client.wait_for_workers(1)
        refused, accepted, warning = judge_workers(self.client.run(worker_facts, on_error="return"))
        for address, why in refused.items():
            self._refuse(address, why)
        if not accepted:
            raise ClusterError(f"no usable worker at {self.address}: " + "; ".join(
                f"{a}: {why}" for a, why in sorted(self.refused.items())))
        if warning:
            self.log(warning)
        threads = sum(n for a, n in self.client.nthreads().items() if a in accepted)
        self.log(f"Dask cluster at {self.address}: {len(accepted)} workers, {threads} threads, "
                 f"micrograde {__version__}")

    def _check_reachable(self) -> None:
        """Fail fast on a mistyped address or a scheduler that is not up: the Dask client
        would retry for CONNECT_TIMEOUT and then take as long again to give up."""
        from distributed.comm.addressing import parse_address, parse_host_port
        from distributed.comm.registry import get_backend

        try:
            scheme, location = parse_address(self.address)
            get_backend(scheme)  # an unknown scheme: ValueError
            if scheme in ("tcp", "tls"):
                socket.create_connection(parse_host_port(location, default_port=DEFAULT_PORT), timeout=10).close()
        except (ValueError, OSError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {self.address} ({e}): "
                               "is it running, and is the address right?") from None

    def _refuse(self, address: str, why: str) -> None:
        if address not in self.refused:
            self.refused[address] = why
            self.log(f"refusing Dask worker {address}: {why}")

    # -- grading --

    def grade(self, todo, job, out: Path):
        self.connect()  # done already by run_batch, before anything was written
        return self._results(todo, job, out)

    def _results(self, todo, job, out: Path):
        from distributed import as_completed

        pending = iter(todo)
        refusals: dict[str, int] = {}
        queue = as_completed(loop=self.client.loop)
        for _ in range(self._window()):
            self._submit_next(pending, job, queue)
        for fut in queue:
            sub, sha = self._futures.pop(fut)
            outcome = self._outcome(fut, sub, sha, out)
            if isinstance(outcome, str):  # a worker with another kit version: grade it elsewhere
                refusals[sub.name] = refusals.get(sub.name, 0) + 1
                if refusals[sub.name] < MAX_REFUSALS:
                    self._submit(sub, job, queue)
                    continue
                outcome = (None, f"grader_error: sent {MAX_REFUSALS} times to a refused worker ({outcome})")
            yield sub, outcome
            fut.release()
            while queue.count() < self._window() and self._submit_next(pending, job, queue):
                pass

    def _window(self) -> int:
        return max(1, sum(self.client.nthreads().values())) * QUEUED_PER_THREAD

    def _submit_next(self, pending, job, queue) -> bool:
        sub = next(pending, None)
        if sub is None:
            return False
        self._submit(sub, job, queue)
        return True

    def _submit(self, sub, job, queue) -> None:
        payload, sha = pack(sub.path)
        # Refused workers get no work: the task may run on every other worker there is
        # now (strictly: work stealing ignores a loose restriction). Workers that join
        # later are not in the list; the task's own version check covers those.
        good = [a for a in self.client.nthreads() if a not in self.refused] if self.refused else None
        fut = self.client.submit(
            grade_task, sub.name, payload, sha, job, __version__,
            key=f"micrograde-grade-{sub.name}-{uuid.uuid4().hex[:8]}", pure=False, workers=good)
        self._futures[fut] = (sub, sha)
        queue.add(fut)

    def _outcome(self, fut, sub, sha: str, out: Path):
        """(report, problem) of a finished task, its report and log written to OUT; or,
        when a worker with another kit version refused the task, why (a str)."""
        from distributed import KilledWorker

        if fut.status != "finished":
            error = fut.exception() if fut.status == "error" else None
            if isinstance(error, KilledWorker):
                return None, (f"grader_error: {error.allowed_failures + 1} Dask workers died while grading it "
                              f"(the last: {error.last_worker.address}); not retried further")
            return None, f"grader_error: the Dask task {fut.status}: {type(error).__name__}: {error}"
        result = fut.result()
        if "refused" in result:
            self._refuse(result["worker"], mismatch(result["refused"]))
            return self.refused[result["worker"]]
        log_path = out / "logs" / f"{sub.name}.log"
        atomic.write_bytes(log_path, result["log"])
        report = _checked_report(result["report"], sha)
        if result["code"] != 0 or report is None:
            return None, child.grader_error(result["code"], log_path)
        # The worker graded a private copy; the report names the folder in SRC, as a local
        # run's does (same content, checked by its hash above).
        report["submission"]["path"] = str(sub.path.resolve())
        write_report(report, out / "reports" / f"{sub.name}.json")
        return report, None

    def close(self, interrupted: bool) -> None:
        if self.client is not None:
            if interrupted and self._futures:
                self.client.cancel(list(self._futures))
            self.client.close()
            self.client = None


def _checked_report(data, sha: str):
    """The report a worker sent, if it is valid and graded exactly the files we sent."""
    if data is None:
        return None
    try:
        report = json.loads(data)
        validate_report(report)
    except (ValueError, ReportError):
        return None
    if report["submission"]["sha256"] != sha or report["kit_version"] != __version__:
        return None
    return report


def judge_workers(facts: dict):
    """From each worker's `worker_facts()` (or the error running it raised): the workers
    refused and why, the accepted ones, and the one warning about those not running as
    root (None when all do)."""
    refused = {}
    for address, fact in sorted(facts.items()):
        if isinstance(fact, BaseException):
            refused[address] = (f"it cannot run micrograde tasks ({type(fact).__name__}: {fact}); "
                                f"install micrograde {__version__} there")
        elif fact["kit_version"] != __version__:
            refused[address] = mismatch(fact["kit_version"])
    accepted = sorted(a for a in facts if a not in refused)
    not_root = [a for a in accepted if facts[a]["uid"] != 0]
    warning = None
    if not_root:
        # Said once, at the start: the sandbox makes private mounts and drops to other
        # users only as root, so without root a submission is less isolated.
        warning = (f"warning: {len(not_root)} of {len(accepted)} Dask workers do not run as root "
                   f"({', '.join(not_root[:3])}{', ...' if len(not_root) > 3 else ''}): isolation is "
                   "weaker without root (see docs/instructors.md, Grading on a cluster)")
    return refused, accepted, warning


def mismatch(theirs: str) -> str:
    return f"it runs micrograde {theirs}, this client micrograde {__version__}; install the same version on both"


# --- on a worker ------------------------------------------------------------------------

def _remove_folders_of_dead_workers() -> None:
    """A worker killed mid-task never removed its task folder; the next task on the
    machine does, once the process it names is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TASK_PREFIX}*"):
        pid = folder.name[len(TASK_PREFIX):].split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def worker_facts() -> dict:
    """What the client checks of each worker before giving it work."""
    return {"kit_version": __version__, "uid": os.geteuid()}


def grade_task(name: str, payload: bytes, sha: str, job, client_version: str) -> dict:
    """Grade one zipped submission on this worker; return the report and the log as bytes.

    Runs in a Dask worker's thread. Everything happens in a private temporary folder,
    removed at the end; the grading itself is a child process, like the local pool's."""
    from distributed import get_worker

    from .safezip import extract

    worker = get_worker().address
    if client_version != __version__:  # a worker that joined after the client's check
        return {"refused": __version__, "worker": worker}
    _remove_folders_of_dead_workers()
    with tempfile.TemporaryDirectory(prefix=f"{TASK_PREFIX}{os.getpid()}-") as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o711)  # as grade()'s scratch: the sandbox's users pass through to their folders
        (tmp / "submission.zip").write_bytes(payload)
        folder = extract(tmp / "submission.zip", tmp / "submission" / name)
        if submission_files.sha256(folder) != sha:
            raise RuntimeError(f"{name}: the unpacked files do not match their content hash")
        report_path, log_path = tmp / "report.json", tmp / "grade.log"
        code = child.grade_in_child(folder, report_path, log_path, job)
        return {"code": code, "worker": worker, "log": log_path.read_bytes(),
                "report": report_path.read_bytes() if report_path.exists() else None}
