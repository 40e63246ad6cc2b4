"""Batch grading throughput: the same class graded with --jobs 2 from a cold example cache
(micrograde/examples/: every example drawn), with --jobs 2 and --jobs 1 from a warm one,
with --jobs 2 without the warm templates (batch/template.py: every process a new interpreter),
with --jobs 2 and the templates but spawned workers (no template workers, worker/forkserver.py),
then an unchanged re-run (which should only hash submissions and reuse their reports).
Each time also as a ratio to the unit (the naive engine's 10 SGD steps, bench_latency.py,
measured before and after in the same run), per submission, beside the floor of one
submission (benchmarks/floor.py: one interpreter start + the reference's own arithmetic).

    python benchmarks/bench_batch.py [--copies 4] [--milestone m1 m2 ...]
    python benchmarks/bench_batch.py --workers 3   # forked vs spawned workers only, 3 rounds

Targets on a 2-core machine: --jobs 2 <= 0.20 units per submission (warm cache; issue 21),
unchanged re-run <= 20% of the first run."""
import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from micrograde.batch.runner import run_batch
from micrograde.rubric import MILESTONES

sys.path.insert(0, str(Path(__file__).resolve().parent))
import floor  # noqa: E402
from bench_latency import naive_unit  # noqa: E402

KIT = Path(__file__).resolve().parents[1]
REFERENCE = KIT / "reference" / "micrograd"


def _variant(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / "micrograd" / file
    text = path.read_text()
    if old not in text:
        sys.exit(f"bench_batch: {file} of the reference no longer contains {old!r}; update the variant")
    path.write_text(text.replace(old, new))


def make_class(root: Path, copies: int) -> Path:
    """`copies` copies of the reference, plus two buggy variants that grade differently."""
    for i in range(copies):
        shutil.copytree(REFERENCE, root / f"ref{i + 1}" / "micrograd")
    shutil.copytree(REFERENCE, root / "tanh_bug" / "micrograd")
    _variant(root / "tanh_bug", "engine.py", "(1.0 - t * t)", "(1.0 - t)")
    shutil.copytree(REFERENCE, root / "sgd_bug" / "micrograd")
    _variant(root / "sgd_bug", "optim.py", "p.data -= self.lr", "p.data += self.lr")
    return root


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(src, out, jobs, milestones, warm=True, label=None, template_workers=True):
    """(wall s, result); the CPU time of every process of the batch goes to CPU[label or out's name]."""
    start, cpu = time.perf_counter(), time.process_time() + children_cpu()
    result = run_batch(src, out, jobs=jobs, milestones=milestones, progress=False, log=lambda msg: None, warm=warm,
                       template_workers=template_workers)
    CPU[label or Path(out).name] = time.process_time() + children_cpu() - cpu
    return time.perf_counter() - start, result


CPU = {}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=4, help="copies of the reference (plus 2 variants; default 4)")
    p.add_argument("--milestone", nargs="+", default=None, help="milestones to grade (default: all)")
    p.add_argument("--workers", type=int, default=0, metavar="ROUNDS",
                   help="only compare template workers (worker/forkserver.py) with spawned workers: after a cold "
                        "run fills the cache, ROUNDS pairs of warm --jobs 2 runs, forked and spawned in turn")
    args = p.parse_args(argv)
    if args.workers:
        return compare_workers(args)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        os.environ["MICROGRADE_CACHE_DIR"] = str(tmp / "examples")  # cold: empty
        src = make_class(tmp / "class", args.copies)
        n = args.copies + 2
        unit = naive_unit()
        cold, r_cold = timed(src, tmp / "cold", 2, args.milestone)
        warm2, r2 = timed(src, tmp / "out2", 2, args.milestone)
        warm1, r1 = timed(src, tmp / "out1", 1, args.milestone)
        fresh2, _ = timed(src, tmp / "fresh", 2, args.milestone, warm=False)
        spawned2, _ = timed(src, tmp / "spawned", 2, args.milestone, template_workers=False)
        rerun, r3 = timed(src, tmp / "out2", 2, args.milestone, label="rerun")
        unit = tuple(map(min, unit, naive_unit()))
        the_floor = floor.floors({"one": args.milestone or list(MILESTONES)})["one"]
        books = {name: (tmp / name / "grades.csv").read_text().splitlines()
                 for name in ("cold", "out2", "out1", "fresh", "spawned")}
        same = len({tuple(book) for book in books.values()}) == 1
        print("\n".join(books["out2"]) + "\n")
        if not same:  # grading should be deterministic: show where the runs disagree
            for lines in zip(*books.values()):
                if len(set(lines)) > 1:
                    print("\n".join(f"{name}: {line}" for name, line in zip(books, lines)))
    u, uc = unit
    print(f"unit: the naive engine's 10 SGD steps = {u:.2f} s wall (best of 2, before and after); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"submissions:                 {n} ({args.copies} reference copies + 2 variants), "
          f"milestones {' '.join(r1.milestones)}")
    print(f"CPU units: CPU time of all the batch's processes per submission / the unit's CPU time ({uc:.2f} s); "
          "halved: what --jobs 2 takes per submission on an idle 2-core machine if both cores stay busy")
    for label, wall, name in (("--jobs 2, cold cache:", cold, "cold"), ("--jobs 2, warm cache:", warm2, "out2"),
                              ("--jobs 1, warm cache:", warm1, "out1"), ("--jobs 2, warm, no templates:", fresh2, "fresh"),
                              ("--jobs 2, warm, spawned workers:", spawned2, "spawned")):
        print(f"{label:<34}{wall:7.2f} s = {wall / n:5.2f} s = {wall / n / u:.3f} units per submission; "
              f"CPU {CPU[name] / n / uc:.3f} units, halved {CPU[name] / n / uc / 2:.3f}"
              + ("   (goal <= 0.20)" if name == "out2" else ""))
    print(f"--jobs 2 vs --jobs 1:        {warm1 / warm2:7.2f}x")
    print(f"the templates save {100 * (1 - warm2 / fresh2):.0f}% of the wall time, "
          f"{100 * (1 - CPU['out2'] / CPU['fresh']):.0f}% of the CPU time")
    print(f"the template workers save {100 * (1 - CPU['out2'] / CPU['spawned']):.0f}% of the CPU time "
          f"(forked / spawned workers {CPU['out2'] / CPU['spawned']:.2f})")
    print(f"floor of one submission:     {the_floor.wall:7.2f} s = {the_floor.wall / u:.3f} units, "
          f"CPU {the_floor.cpu / uc:.3f} units "
          f"({the_floor.wall / 2 / u:.3f} units with both cores busy); gap (warm --jobs 2 per submission / "
          f"floor over 2 cores) {warm2 / n / (the_floor.wall / 2):.1f}x   [{the_floor.describe()}]")
    print(f"unchanged re-run:            {rerun:7.2f} s = {100 * rerun / warm2:.1f}% of the warm --jobs 2 run "
          f"(target <= 20%); regraded {len(r3.graded)}, reused {len(r3.reused)}")
    print(f"gradebooks cold == warm, jobs 2 == 1, templates or not, workers forked or spawned: {same}")
    return 0 if same and not r3.graded else 1


def compare_workers(args) -> int:
    """Warm --jobs 2 batches with template workers and with spawned workers, in turn: CPU per
    submission of each and their ratio, per round (the machine is shared: rounds, not runs)."""
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        os.environ["MICROGRADE_CACHE_DIR"] = str(tmp / "examples")
        src = make_class(tmp / "class", args.copies)
        n = args.copies + 2
        unit = naive_unit()
        timed(src, tmp / "cold", 2, args.milestone)  # fills the example cache
        walls, books = {}, set()
        for r in range(args.workers):
            for forked in (True, False):
                label = f"{'forked' if forked else 'spawned'}{r}"
                walls[label], _ = timed(src, tmp / label, 2, args.milestone, template_workers=forked)
                books.add((tmp / label / "grades.csv").read_text())
        unit = tuple(map(min, unit, naive_unit()))
    u, uc = unit
    print(f"unit: {u:.2f} s wall, {uc:.2f} s CPU; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end; {n} submissions, --jobs 2, warm cache and templates")
    ratios = []
    for r in range(args.workers):
        f, s = CPU[f"forked{r}"] / n / uc, CPU[f"spawned{r}"] / n / uc
        ratios.append(f / s)
        print(f"round {r + 1}: CPU per submission {f:.3f} units forked workers / {s:.3f} spawned = {f / s:.2f}; "
              f"wall {walls[f'forked{r}'] / n / u:.3f} / {walls[f'spawned{r}'] / n / u:.3f} units")
    print(f"CPU ratio forked / spawned: {' '.join(f'{x:.2f}' for x in ratios)} "
          f"(mean {sum(ratios) / len(ratios):.2f})")
    print(f"gradebooks identical in every run: {len(books) == 1}")
    return 0 if len(books) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
