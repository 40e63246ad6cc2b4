"""How long a student waits: m1, m2 and a full grade, as ratios to the naive engine's 10 steps.

The unit is the wall time of the naive engine's 10 SGD steps from bench_engine.py
(MLP(2,[16,16,1]), 50 points, collector on), measured in this same run, in turns with the
grading runs: on a shared machine absolute times drift, ratios measured together much less.
Each time is the best of N rounds.

Three cache settings (--cache):
- warm: the example cache (micrograde/examples/) holds this seed's examples, and the
  bytecode caches are as left by an earlier (untimed) run: a student's second run;
- cold: an empty example cache folder for every run (Hypothesis draws every example),
  bytecode warm: a first run after installing or changing the kit;
- none: PYTHONDONTWRITEBYTECODE=1, with no bytecode of the kit and none of pytest's
  assertion rewriting to read: a fresh CI checkout (example cache warm). The installed packages
  keep the bytecode pip compiled for them, as on a fresh CI machine. (The grading
  process reads its bytecode from a PYTHONPYCACHEPREFIX folder filled once and then
  stripped of the kit's and pytest's files; the worker runs with -I and is unaffected.)

The floor (benchmarks/floor.py) is printed with them: one interpreter start plus the
reference's own arithmetic on the requests the reference's grading makes.

Run: python benchmarks/bench_latency.py [--repeat N] [--cache warm cold none] [--what m1 m2 full]
                                       [--compare OTHER_KIT]
--compare times another checkout of the kit (say, `git archive` of an older commit) in the
same rounds, with the same interpreter and packages: a before-and-after in one run.
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_engine  # noqa: E402  (the naive engine and the reference's MLP)
import floor  # noqa: E402

KIT_ROOT = Path(__file__).resolve().parents[1]
GOALS = {"m1": 0.1, "full": 0.25}  # issues 13 and 21, for the reference
MILESTONES = ["m1", "m2", "m3", "m4"]
SUBMISSIONS = {"reference": "reference", "template": "student_template"}


def naive_unit() -> tuple[float, float]:
    """(wall, CPU) time of the naive engine's 10 SGD steps, collector on, as bench_engine runs them."""
    xs, ys = bench_engine.make_data()
    random.seed(1)
    model = bench_engine.MLP(bench_engine.NIN, bench_engine.NOUTS)
    wall, cpu = time.perf_counter(), time.process_time()
    bench_engine.naive_train(model, xs, ys)
    return time.perf_counter() - wall, time.process_time() - cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command(what: str, folder: str, report: Path) -> list[str]:
    """The command a student types; run in a kit's folder, with that kit's package first on the path."""
    if what == "full":
        return [sys.executable, "-m", "micrograde", "grade", folder, "--json", str(report)]
    return [sys.executable, "-m", "pytest", f"graders/{what}", "--submission", folder, "--report", str(report)]


def environment(kit: Path, cache: str, prefix: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPATH"] = str(kit / "graders")
    # The warm example cache of each kit; a cold run gets an empty folder of its own.
    env["MICROGRADE_CACHE_DIR"] = str(prefix.parent / ("examples-" + kit.name if cache != "cold" else
                                                       tempfile.mkdtemp(prefix="cold-", dir=prefix.parent)))
    if cache == "none":
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(prefix))
    return env


def installed_bytecode_only(prefix: Path, runs, report: Path) -> None:
    """Fill `prefix` with the bytecode the grading process uses, then drop the kits' and pytest's."""
    for kit, what, name in runs:
        env = environment(kit, "none", prefix)
        del env["PYTHONDONTWRITEBYTECODE"]
        subprocess.run(command(what, SUBMISSIONS[name], report), cwd=kit, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(prefix / kit.relative_to(kit.anchor), ignore_errors=True)
    for pyc in prefix.rglob("*-pytest-*.pyc"):
        pyc.unlink()


def run_once(kit: Path, what: str, name: str, cache: str, report: Path, prefix: Path) -> tuple[float, float]:
    """(wall, CPU) time of one run; CPU counts every process of the run (pytest, workers)."""
    env = environment(kit, cache, prefix)
    wall, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run(command(what, SUBMISSIONS[name], report), cwd=kit, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - wall, children_cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{kit}: {what} {name} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    graded = json.loads(report.read_text())
    expected = graded["max_score"] if name == "reference" else 0
    if graded["status"] != "complete" or graded["score"] != expected:
        raise SystemExit(f"{what} {name}: score {graded['score']} of {graded['max_score']}, expected {expected}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", nargs="+", choices=["warm", "cold", "none"], default=["warm", "cold"])
    parser.add_argument("--what", nargs="+", choices=["m1", "m2", "full"], default=["m1", "m2", "full"])
    parser.add_argument("--compare", type=Path, metavar="OTHER_KIT", help="also time this checkout of the kit")
    args = parser.parse_args()
    kits = [KIT_ROOT] + ([args.compare.resolve()] if args.compare else [])
    scratch = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    report, prefix = scratch / "report.json", scratch / "pycache"
    cases = [(kit, what, name, cache) for cache in args.cache for name in SUBMISSIONS for what in args.what
             for kit in kits]

    runs = list(dict.fromkeys((kit, what, name) for kit, what, name, _ in cases))
    for kit, what, name in runs:  # untimed: leave the bytecode and example caches warm
        run_once(kit, what, name, "warm", report, prefix)
    floors = floor.floors({what: [what] if what != "full" else MILESTONES for what in args.what})
    if "none" in args.cache:
        installed_bytecode_only(prefix, runs, report)
    best = {case: [float("inf")] * 2 for case in cases}
    unit = [float("inf")] * 2
    for round_ in range(args.repeat):
        unit = list(map(min, unit, naive_unit()))
        # Every other round in reverse: the run right after the unit's 8-10 s of arithmetic
        # finds the machine in another state, and no case (no kit, with --compare) should
        # always be that run.
        for case in cases if round_ % 2 == 0 else cases[::-1]:
            best[case] = list(map(min, best[case], run_once(*case, report, prefix)))
        unit = list(map(min, unit, naive_unit()))

    print(f"unit: the naive engine's 10 SGD steps = {unit[0]:.2f} s wall, {unit[1]:.2f} s CPU "
          f"(best of {2 * args.repeat}); gradings best of {args.repeat}; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print("units = wall time / the unit's wall time (the goal); CPU = CPU time of all the run's "
          "processes / the unit's CPU time (steadier on a busy machine)")
    for kit in kits:
        print(f"\nkit: {kit}")
        print(f"{'run':<28}" + "".join(f"{c + ' s':>9}{c + ' units':>12}{c + ' CPU':>10}" for c in args.cache)
              + "   goal")
        for name in SUBMISSIONS:
            for what in args.what:
                label = f"pytest graders/{what}" if what != "full" else "micrograde grade"
                row = f"{label + ' ' + name:<28}"
                for cache in args.cache:
                    wall, cpu = best[(kit, what, name, cache)]
                    row += f"{wall:>9.2f}{wall / unit[0]:>12.3f}{cpu / unit[1]:>10.3f}"
                goal = GOALS.get(what) if name == "reference" else None
                print(row + (f"   <= {goal}" if goal else ""))
        row = f"{'floor (reference)':<28}"
        print("\nfloor: one interpreter start + the reference's own arithmetic on the requests of its grading")
        for what in args.what:
            f = floors[what]
            label = f"pytest graders/{what}" if what != "full" else "micrograde grade"
            print(f"{label:<28}{f.wall:>9.2f} s {f.wall / unit[0]:>7.3f} units {f.cpu / unit[1]:>7.3f} CPU   "
                  f"gap (warm / floor) {best[(kit, what, 'reference', args.cache[0])][0] / f.wall:>6.1f}x   "
                  f"[{f.describe()}]")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
