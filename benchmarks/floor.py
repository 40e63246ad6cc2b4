"""The floor of a grading: what no grader can go below, whatever it does.

One interpreter start (`python -I -c pass`) plus the reference's own arithmetic on the
requests a grading of the reference makes (the drawn examples, the networks, the training
runs), answered in one process by the kit's probes with the worker's collector settings,
after an untimed pass (imports and first use excluded). The requests are logged from a real
grading of the reference by benchmarks/probe_log.py.

    python benchmarks/floor.py m1 [m2 ...]    # prints the floor of grading those milestones, in seconds
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
REFERENCE = KIT_ROOT / "reference"

ANSWER = """
import gc, json, os, sys, time
sys.path.insert(0, {graders!r})
from micrograde.layout.discover import discover
from micrograde.probes import registry
from micrograde.probes.lookup import configure
from micrograde.worker.main import PROBE_GC_THRESHOLDS
from micrograde.worker.protocol import Request
layout = discover(__import__("pathlib").Path({reference!r})).worker_config()
sys.path.insert(0, {reference!r})
configure(submission={reference!r}, poisoned={{}}, progress=lambda event: None, layout=layout)
probes = registry.load_probes()
requests = [Request(probe, args) for probe, args in json.load(open({log!r}))]
for request in requests:  # untimed: imports, first use
    registry.answer(request, probes)
gc.collect(); gc.freeze(); gc.set_threshold(*PROBE_GC_THRESHOLDS)
best, cpu = float("inf"), float("inf")
for _ in range({rounds}):
    start, start_cpu = time.perf_counter(), time.process_time()
    for request in requests:
        registry.answer(request, probes)
    best, cpu = min(best, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    gc.collect()
print(best, cpu)
"""


def log_requests(milestones, log: Path, cache_dir: str | None = None) -> int:
    """Grade the reference on `milestones` with the probe log on; how many requests it made."""
    env = {**os.environ, "PYTHONPATH": f"{KIT_ROOT / 'graders'}{os.pathsep}{BENCHMARKS}",
           "BENCH_PROBE_LOG": str(log)}
    if cache_dir:
        env["MICROGRADE_CACHE_DIR"] = cache_dir
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *(f"graders/{m}" for m in milestones), "-p", "probe_log",
             "--submission", str(REFERENCE), "--report", str(Path(scratch) / "report.json")],
            cwd=KIT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"floor: grading the reference failed: {proc.stderr[-2000:]}")
    return len(json.loads(log.read_text()))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interpreter_start(rounds: int = 5) -> tuple[float, float]:
    """(wall, CPU) of starting and ending `python -I -c pass`, best of `rounds`."""
    best, cpu = float("inf"), float("inf")
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)
        best, cpu = min(best, time.perf_counter() - start), min(cpu, _children_cpu() - start_cpu)
    return best, cpu


def arithmetic(log: Path, rounds: int = 3) -> tuple[float, float]:
    """(wall, CPU) of the reference answering the logged requests in one process, best of `rounds`."""
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        script = ANSWER.format(graders=str(KIT_ROOT / "graders"), reference=str(REFERENCE), log=str(log),
                               rounds=rounds)
        out = subprocess.run([sys.executable, "-I", "-c", script], cwd=scratch, check=True,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "MPLBACKEND": "Agg"}).stdout
    wall, cpu = out.split()[-2:]
    return float(wall), float(cpu)


def floors(whats: dict, cache_dir: str | None = None) -> dict:
    """{name: Floor} for {name: milestones}."""
    start = interpreter_start()
    result = {}
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        for name, milestones in whats.items():
            log = Path(scratch) / f"{name}.json"
            count = log_requests(milestones, log, cache_dir)
            work = arithmetic(log)
            result[name] = Floor(start[0] + work[0], start[1] + work[1], start, work, count)
    return result


@dataclass
class Floor:
    wall: float
    cpu: float
    start: tuple  # (wall, CPU) of the interpreter start
    work: tuple  # (wall, CPU) of the arithmetic
    requests: int

    def describe(self) -> str:
        return (f"{self.wall:.2f} s wall ({self.cpu:.2f} s CPU) = interpreter start {self.start[0]:.2f} s + "
                f"the reference's arithmetic on {self.requests} requests {self.work[0]:.2f} s")


if __name__ == "__main__":
    chosen = sys.argv[1:] or ["m1"]
    print(f"floor of grading {' '.join(chosen)}: {floors({'run': chosen})['run'].describe()}")
