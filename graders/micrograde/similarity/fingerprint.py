"""Winnowed fingerprints and pairwise overlap, by copydetect, run as a child process.

copydetect tokenises with Pygments, replaces every identifier by one letter and drops
comments and whitespace (docstrings shrink to one string token), then keeps the winnowed
hashes of character k-grams of what is left (Schleimer, Wilkerson and Aiken's MOSS
algorithm). It hashes with Python's built-in hash(), which is salted per process: the
parent runs this module with a fixed PYTHONHASHSEED so that the same submissions give
the same similarity.csv on every run. Only text is read here; no submitted code runs.

stdin: {"documents": {name: text}, "boilerplate": text, "k": int, "window": int}
stdout: {"pairs": [{"a", "b", "sim_a", "sim_b", "shared", "slices_a", "slices_b"}]} for
every pair with any overlap; slices are [start, end) character ranges of the raw texts.
"""
import io
import itertools
import json
import sys


def fingerprints(documents: dict, boilerplate: str, k: int, window: int) -> dict:
    from copydetect import CodeFingerprint

    # Every k-gram of the boilerplate (window 1), so none of it can match by accident.
    shared = CodeFingerprint("boilerplate.py", k, 1, fp=io.StringIO(boilerplate), language="python")
    prints = {}
    for name, text in documents.items():
        prints[name] = CodeFingerprint(f"{name}.py", k, window, boilerplate=list(shared.hashes),
                                       fp=io.StringIO(text), language="python")
    return prints


def compare(prints: dict) -> list:
    from copydetect import compare_files

    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        fa, fb = prints[a], prints[b]
        if not fa.token_coverage or not fb.token_coverage:
            continue  # nothing of its own left after the boilerplate: nothing to compare
        common = len(fa.hashes & fb.hashes)
        if not common:
            continue
        _, (sim_a, sim_b), (slices_a, slices_b) = compare_files(fa, fb)
        pairs.append({"a": a, "b": b, "sim_a": float(sim_a), "sim_b": float(sim_b), "shared": common,
                      "slices_a": [[int(s), int(e)] for s, e in zip(*slices_a)],
                      "slices_b": [[int(s), int(e)] for s, e in zip(*slices_b)]})
    return pairs


def main() -> int:
    job = json.load(sys.stdin)
    prints = fingerprints(job["documents"], job["boilerplate"], job["k"], job["window"])
    json.dump({"pairs": compare(prints)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
