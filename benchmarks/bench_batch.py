"""Batch grading throughput: the same class graded with --jobs 1 and --jobs 2, then an
unchanged re-run (which should only hash submissions and reuse their reports).

    python benchmarks/bench_batch.py [--copies 4] [--milestone m1 m2 ...]

Targets on a 2-core machine: speedup >= 1.7x, unchanged re-run <= 20% of the first run."""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from micrograde.batch.runner import run_batch

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


def timed(src, out, jobs, milestones):
    start = time.perf_counter()
    result = run_batch(src, out, jobs=jobs, milestones=milestones, progress=False, log=lambda msg: None)
    return time.perf_counter() - start, result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=4, help="copies of the reference (plus 2 variants; default 4)")
    p.add_argument("--milestone", nargs="+", default=None, help="milestones to grade (default: all)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        src = make_class(tmp / "class", args.copies)
        n = args.copies + 2
        t1, r1 = timed(src, tmp / "out1", 1, args.milestone)
        t2, r2 = timed(src, tmp / "out2", 2, args.milestone)
        t3, r3 = timed(src, tmp / "out2", 2, args.milestone)
        rows1 = (tmp / "out1" / "grades.csv").read_text().splitlines()
        rows2 = (tmp / "out2" / "grades.csv").read_text().splitlines()
        same = rows1 == rows2
        print("\n".join(rows2) + "\n")
        if not same:  # grading should be deterministic: show where the two runs disagree
            for a, b in zip(rows1, rows2):
                if a != b:
                    print(f"jobs 1: {a}\njobs 2: {b}")
    print(f"submissions:              {n} ({args.copies} reference copies + 2 variants), "
          f"milestones {' '.join(r1.milestones)}")
    print(f"--jobs 1:                 {t1:7.2f} s  ({t1 / n:.2f} s per submission)")
    print(f"--jobs 2:                 {t2:7.2f} s")
    print(f"speedup:                  {t1 / t2:7.2f}x   (target >= 1.7x)")
    print(f"unchanged re-run:         {t3:7.2f} s = {100 * t3 / t2:.1f}% of the first --jobs 2 run "
          f"(target <= 20%); regraded {len(r3.graded)}, reused {len(r3.reused)}")
    print(f"gradebooks jobs 1 == 2:   {same}")
    return 0 if same and not r3.graded else 1


if __name__ == "__main__":
    raise SystemExit(main())
