"""Grading one submission of a batch: one `micrograde grade` child process.

The one way a batch starts a grading, wherever it runs: the local pool calls it on this
machine, the Dask task (distributed.py) on a worker. A single function means that a
hardening of how kit children start (see `children`) reaches both."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import children
from ..worker import affinity


def grade_in_child(folder, report_path, log_path, job, template=None) -> int:
    """Run `micrograde grade` on `folder` into `report_path`, its output into `log_path`,
    with the batch's `job` (runner.Job) settings; return its exit status.

    One process per grading: whatever goes wrong in it (the kit included) stays with that
    one submission, and its output goes to a log of its own (parallel runs would
    interleave on a terminal; the log is what an instructor reads when a grade looks odd).
    `template`: this job slot's warm template (template.py) to fork that process from."""
    # The submission's and the report's paths and the seed in a file only we may read,
    # not on the child's command line; isolated, from a fixed folder: see `children`.
    private = tempfile.mkdtemp(prefix="micrograde-batch-")
    try:
        secrets = children.secret_arguments(private, [str(Path(folder).resolve()), "--json",
                                                      str(Path(report_path).resolve()), "--seed", str(job.seed)])
        argv = ["grade", secrets, f"--integrity={job.integrity_policy}", *job.args()]
        if job.milestones:
            argv += ["--milestone", *job.milestones]
        code = template.grade(argv, private, log_path) if template is not None else None
        if code is not None:
            return code
        with open(log_path, "wb") as log:
            return subprocess.run([*children.micrograde_command(), *argv], stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, cwd=private,
                                  env=affinity.left_to_the_system(os.environ)).returncode
    finally:
        shutil.rmtree(private, ignore_errors=True)


def grader_error(code: int, log_path) -> str:
    """The gradebook status of a grading whose child failed: the same words for every pool,
    so a local and a distributed batch of the same class write the same gradebook."""
    return f"grader_error: micrograde grade exited with status {code}, see {log_path}"
