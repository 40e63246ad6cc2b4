"""What one probe round trip costs beyond the probe's own work: grader -> worker -> grader.

Two probes, each asked many times of one worker on the reference: `engine.repr` (almost no
work: the round trip's overhead itself) and `engine.local_program` with the random programs
a grading of m1 asks (logged by floor.py from a real `pytest graders/m1`). Per request it
prints the wall time, the grading process's CPU and the worker's CPU (its cgroup's count;
"-" where it has none), in microseconds and in milli-units of the naive engine's 10 SGD
steps (bench_latency.naive_unit, measured before and after the rounds), and what m1's
requests cost at that rate. Each figure is the best of N rounds; each round is a fresh
grading process.

Run: python benchmarks/bench_roundtrip.py [--repeat N] [--calls N] [--compare OTHER_KIT]
--compare times another checkout of the kit (`git archive` of an older commit, say) in
turns with this one: a before-and-after in one run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_latency  # noqa: E402
import floor  # noqa: E402

KIT_ROOT = Path(__file__).resolve().parents[1]
REPR = ["engine.repr", {"data": 2.5, "grad": 0.75}]

# Runs in a grading process of the kit under test (its graders/ first on the path).
ROUND = """
import json, sys, time
from micrograde.worker.client import Sandbox
log = json.load(open(sys.argv[1]))
kinds = {{"engine.repr": [{repr!r}] * {calls}, "engine.local_program": [r for r in log if r[0] == "engine.local_program"]}}
with Sandbox({reference!r}, plotting=False) as box:
    def worker_cpu():
        return box.group.cpu_seconds() if box.group is not None else None
    for probe, args in (log + kinds["engine.repr"])[:50]:  # untimed: start-up, first imports
        box.call(probe, "warm-up", **args)
    result = {{}}
    for kind, requests in kinds.items():
        worker, wall, cpu = worker_cpu(), time.perf_counter(), time.process_time()
        for probe, args in requests:
            box.call(probe, kind, **args)
        wall, cpu, after = time.perf_counter() - wall, time.process_time() - cpu, worker_cpu()
        n = len(requests)
        result[kind] = [wall / n, cpu / n, None if worker is None or after is None else (after - worker) / n]
print(json.dumps(result))
"""


def one_round(kit: Path, log: Path, calls: int) -> dict:
    script = ROUND.format(repr=REPR, calls=calls, reference=str(kit / "reference"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(kit / "graders")
    out = subprocess.run([sys.executable, "-c", script, str(log)], cwd=kit, env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300, help="engine.repr requests per round")
    parser.add_argument("--compare", type=Path, metavar="OTHER_KIT", help="also time this checkout of the kit")
    args = parser.parse_args()
    kits = [KIT_ROOT] + ([args.compare.resolve()] if args.compare else [])
    with tempfile.TemporaryDirectory(prefix="bench-roundtrip-") as scratch:
        log = Path(scratch) / "m1.json"
        count = floor.log_requests(["m1"], log)
        best = {kit: {} for kit in kits}
        unit = bench_latency.naive_unit()  # once before the rounds and once after: it takes seconds
        for _ in range(args.repeat):
            for kit in kits:
                for kind, times in one_round(kit, log, args.calls).items():
                    old = best[kit].get(kind, [float("inf")] * 3)
                    best[kit][kind] = [min(o, t) if t is not None else None for o, t in zip(old, times)]
        unit = tuple(map(min, unit, bench_latency.naive_unit()))
    print(f"unit: the naive engine's 10 SGD steps = {unit[0]:.3f} s wall, {unit[1]:.3f} s CPU; "
          f"best of 2; gradings best of {args.repeat} rounds; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"m1 (reference) makes {count} requests; mu = 1e-3 units (wall / the unit's wall, CPU / its CPU)")
    for kit in kits:
        print(f"\nkit: {kit}")
        print(f"{'probe':<22}{'wall us':>9}{'client CPU':>12}{'worker CPU':>12}{'wall mu':>9}"
              f"{'client mu':>11}{'worker mu':>11}{'m1 wall units':>15}")
        for kind, (wall, cpu, worker) in best[kit].items():
            shown = f"{worker * 1e6:>12.0f}" if worker is not None else f"{'-':>12}"
            worker_mu = f"{worker / unit[1] * 1e3:>11.3f}" if worker is not None else f"{'-':>11}"
            print(f"{kind:<22}{wall * 1e6:>9.0f}{cpu * 1e6:>12.0f}{shown}{wall / unit[0] * 1e3:>9.3f}"
                  f"{cpu / unit[1] * 1e3:>11.3f}{worker_mu}{wall * count / unit[0]:>15.4f}")


if __name__ == "__main__":
    main()
