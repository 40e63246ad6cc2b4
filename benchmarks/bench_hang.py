"""A hanging tanh, waited for once: the whole run beside the reference's, default limits.

    python benchmarks/bench_hang.py

Before the capability profile (issue 18) a hung `tanh` cost 289 s of a 300 s run: every
check that reached it waited out its own timeout. Now the profile waits for it once
(one probe timeout, 10 s) and every later check that calls it stops at once.
Target: the hanging run takes at most 60 s, and at most the reference's time + 30 s."""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from micrograde import grading

KIT = Path(__file__).resolve().parents[1]
REFERENCE = KIT / "reference"
TANH = "    def tanh(self):\n"


def hanging(root: Path) -> Path:
    dest = root / "hanging"
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    engine = dest / "micrograd" / "engine.py"
    text = engine.read_text()
    if text.count(TANH) != 1:
        sys.exit("bench_hang: the reference's engine.py no longer defines tanh once; update the benchmark")
    engine.write_text(text.replace(TANH, TANH + "        while True:\n            pass\n"))
    return dest


def timed(submission: Path, report: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    result = grading.grade(submission, report, output=subprocess.DEVNULL)
    return time.perf_counter() - start, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        reference_s, _ = timed(REFERENCE, root / "reference.json")
        hang_s, report = timed(hanging(root), root / "hanging.json")
    waited = [t["name"] for t in report["tests"] if "did not return within" in t["feedback"]]
    print(f"reference: {reference_s:.1f} s; hanging tanh: {hang_s:.1f} s ({hang_s / reference_s:.2f}x the reference), "
          f"score {report['score']}/{report['max_score']}")
    print(f"checks that waited out a timeout: {len(waited)} ({', '.join(waited)})")
    print(f"goal <= 60 s: {'met' if hang_s <= 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
