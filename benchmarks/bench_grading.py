"""How long grading takes: a full grade of the reference, and `pytest graders/m1` alone.

Run: python benchmarks/bench_grading.py [--repeat N]. Prints wall times (best of N) and
the share of the full grade that M1 takes, all measured in this run.
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from micrograde import grading
from micrograde.spec import KIT_ROOT


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    out = Path(tempfile.mkdtemp()) / "report.json"

    def full():
        report = grading.grade(KIT_ROOT / "reference", out, output=subprocess.DEVNULL)
        assert report["score"] == report["max_score"], "the reference must get full marks"

    def m1():
        subprocess.run([sys.executable, "-m", "pytest", "graders/m1", "--submission", "reference",
                        "--report", str(out)], cwd=KIT_ROOT, check=True, stdout=subprocess.DEVNULL)

    full_s, m1_s = best_of(repeat, full), best_of(repeat, m1)
    print(f"full grade of the reference (micrograde grade, all milestones): {full_s:6.2f} s  (target ~10 s)")
    print(f"pytest graders/m1 on the reference:                               {m1_s:6.2f} s  (target ~3 s)")
    print(f"m1 / full: {m1_s / full_s:.2f}")


if __name__ == "__main__":
    main()
