"""Similarity across a class: time of micrograde.similarity.compute for N submissions
(N*(N-1)/2 pairs), fresh and then from its cache (an unchanged re-run).

    python benchmarks/bench_similarity.py [--students 60]

Prints wall time and CPU time (this process and the fingerprinting child): on a shared
machine the CPU time is the steadier number.

The class is made of three independent solutions in the kit (the reference, the
independent one in tests/similarity, the karpathy layout), each copied with a few lines
appended per student so no two documents are identical."""
import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from micrograde import similarity

KIT = Path(__file__).resolve().parents[1]
SOURCES = [KIT / "reference", KIT / "tests" / "similarity" / "independent", KIT / "tests" / "layouts" / "karpathy"]


def make_class(root: Path, students: int) -> dict:
    folders = {}
    for i in range(students):
        folder = shutil.copytree(SOURCES[i % len(SOURCES)], root / f"student{i:03d}")
        (folder / "micrograd" / "extra.py").write_text(
            "".join(f"def helper_{i}_{k}(values):\n    return [v * {k + i} for v in values if v > {k}]\n"
                    for k in range(3)))
        folders[folder.name] = folder
    return folders


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn):
    wall, used = time.perf_counter(), cpu()
    result = fn()
    return result, time.perf_counter() - wall, cpu() - used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders = make_class(Path(tmp), args.students)
        cache = Path(tmp) / "cache.json"
        result, fresh, fresh_cpu = timed(lambda: similarity.compute(folders, cache=cache))
        _, cached, cached_cpu = timed(lambda: similarity.compute(folders, cache=cache))
    pairs = args.students * (args.students - 1) // 2
    print(f"{args.students} submissions, {pairs} pairs ({len(result['pairs'])} with any overlap): "
          f"fresh {fresh:.1f} s ({fresh_cpu:.1f} s CPU), from the cache {cached:.2f} s ({cached_cpu:.2f} s CPU)")


if __name__ == "__main__":
    main()
