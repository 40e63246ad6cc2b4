"""What the portable path costs: probe round trips and `pytest graders/m1`, polled vs selected.

On the portable path (Windows, or MICROGRADE_PLATFORM=portable) the grader cannot select()
on its worker's pipes and polls them instead (worker/facilities.py wait_readable). This
times, in turns within one run, N small probes on one worker and the student flow
`pytest graders/m1 --submission reference`, on this machine's own path and on the
portable one, and prints portable / own as ratios: on a shared machine absolute times
drift, ratios measured together much less. Each time is the best of the rounds.

Run: python benchmarks/bench_portable.py [--rounds 3] [--probes 300]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
PROBES = """
import sys, time
from micrograde.probes.names import ENGINE_CONSTRUCT
from micrograde.worker import Sandbox
with Sandbox({reference!r}) as sandbox:
    sandbox.call(ENGINE_CONSTRUCT, "Value(1.0)", data=1.0)
    started = time.perf_counter()
    for _ in range({n}):
        sandbox.call(ENGINE_CONSTRUCT, "Value(1.0)", data=1.0)
    print(time.perf_counter() - started)
"""


def _env(portable: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MICROGRADE_PLATFORM"}
    if portable:
        env["MICROGRADE_PLATFORM"] = "portable"
    return env


def probes(portable: bool, n: int) -> float:
    code = PROBES.format(reference=str(KIT / "reference"), n=n)
    out = subprocess.run([sys.executable, "-c", code], env=_env(portable), capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def student_flow(portable: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "graders/m1", "--submission", "reference", "--report",
                        str(Path(folder) / "report.json")], cwd=KIT, env=_env(portable), capture_output=True, check=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    best = {}
    for _ in range(args.rounds):
        for portable in (False, True):  # in turns: both see the same drift of the machine
            for what, run in (("probe", lambda: probes(portable, args.probes) / args.probes),
                              ("m1", lambda: student_flow(portable))):
                key = (what, portable)
                best[key] = min(best.get(key, float("inf")), run())
    print(f"{'':24}{'own path':>12}{'portable':>12}{'ratio':>8}")
    for what, unit, scale in (("probe", "ms", 1000), ("m1", "s", 1)):
        own, portable = best[(what, False)], best[(what, True)]
        print(f"{what + ' (' + unit + ')':24}{own * scale:12.3f}{portable * scale:12.3f}{portable / own:8.2f}")


if __name__ == "__main__":
    main()
