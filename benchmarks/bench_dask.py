"""Dask overhead: the same 12 submissions graded by the local pool (`--jobs 2`) and by a
local Dask cluster of 2 single-threaded workers (`--scheduler`), in the same run.

    python benchmarks/bench_dask.py [--milestone m1 ...] [--copies 10] [--rounds 1]

Needs the distributed extra (pip install -e ".[distributed]"). The cluster (a scheduler
and 2 workers, on 127.0.0.1) is started before the timing and stopped after it, so the
times compare grading only. With --rounds 2 or more the two alternate (local, Dask, Dask,
local, ...), so a load that drifts during the run weighs on both alike. Target: Dask's
time at most 10% over the local pool's."""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import make_class  # the same class as the --jobs benchmark

from micrograde.batch.runner import run_batch


def start_cluster(root: Path, workers: int):
    """A scheduler and `workers` single-threaded workers on 127.0.0.1, on free ports."""
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2"}
    root.mkdir(parents=True)
    file = root / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(file)], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 120
    while not file.exists() or not file.read_text().strip():
        if time.monotonic() > deadline or procs[0].poll() is not None:
            sys.exit("bench_dask: the scheduler did not start")
        time.sleep(0.1)
    address = json.loads(file.read_text())["address"]
    for i in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nthreads", "1",
                                       "--host", "127.0.0.1", "--no-dashboard",
                                       "--local-directory", str(root / f"worker{i}")],
                                      env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client
    with Client(address, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def timed(src, out, milestones, **where):
    start = time.perf_counter()
    result = run_batch(src, out, milestones=milestones, progress=False, log=lambda msg: None, **where)
    return time.perf_counter() - start, result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=10, help="copies of the reference (plus 2 variants; default 10)")
    p.add_argument("--milestone", nargs="+", default=None, help="milestones to grade (default: all)")
    p.add_argument("--rounds", type=int, default=1, help="runs of each, alternating (default 1)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        tmp = Path(tmp)
        src = make_class(tmp / "class", args.copies)
        n = args.copies + 2
        address, procs = start_cluster(tmp / "cluster", 2)
        t_local = t_dask = 0.0
        try:
            for i in range(args.rounds):
                order = ["local", "dask"] if i % 2 == 0 else ["dask", "local"]
                for which in order:
                    out = tmp / f"out-{which}-{i}"  # a fresh OUT: every run grades everything
                    if which == "local":
                        t, r_local = timed(src, out, args.milestone, jobs=2)
                        t_local += t
                    else:
                        t, r_dask = timed(src, out, args.milestone, scheduler=address)
                        t_dask += t
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        same = (tmp / "out-local-0" / "grades.csv").read_bytes() == (tmp / "out-dask-0" / "grades.csv").read_bytes()
    print(f"submissions:            {n} ({args.copies} reference copies + 2 variants), "
          f"milestones {' '.join(r_local.milestones)}")
    print(f"local pool --jobs 2:    {t_local / args.rounds:7.2f} s  (mean of {args.rounds})")
    print(f"Dask, 2 workers x 1:    {t_dask / args.rounds:7.2f} s  (mean of {args.rounds})")
    print(f"ratio Dask / local:     {t_dask / t_local:7.3f}   (overhead {100 * (t_dask / t_local - 1):+.1f}%, "
          "target < +10%)")
    print(f"gradebooks identical:   {same}")
    return 0 if same and len(r_dask.graded) == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
