"""What the worker's audit hook (worker/audit.py) costs submission code: a same-run ratio.

Times, in child interpreters taking turns, the reference's train() on the M4 task (MLP(2,
[6, 1]) on the seed's points for its epochs: the heaviest probe) and the import of numpy and matplotlib
(the heaviest imports a submission makes), each with and without the hook installed the
way the worker installs it. Prints the best of N rounds of each and the ratio hook/none.

Run: python benchmarks/bench_audit.py [--rounds N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import sys, time
hooked = sys.argv[1] == "hook"
what = sys.argv[2]
if hooked:
    from micrograde.worker import audit
    audit.install(sys.argv[3], kit_modules=audit.hide_kit().values())
sys.path.insert(0, sys.argv[4])
start = time.perf_counter()
if what == "train":
    from micrograd.nn import MLP
    from micrograd.train import train
    import json
    task = json.loads(sys.argv[5])
    model = MLP(task["nin"], task["nouts"])
    for p, v in zip(model.parameters(), task["start"]):
        p.data = v
    train(model, task["xs"], task["ys"], epochs=task["epochs"], lr=task["lr"])
else:
    import numpy, matplotlib.pyplot
print(time.perf_counter() - start)
"""


def run(mode: str, what: str, task: str, scratch: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "graders"), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", CHILD, mode, what, scratch, str(ROOT / "reference"), task],
                         capture_output=True, text=True, env=env, check=True, cwd=scratch)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "graders"))
    from micrograde import spec, training_task

    task = training_task.regression_task(spec.DEFAULT_SEED)
    task_json = json.dumps({"start": task.start, "xs": task.xs, "ys": task.ys, "nin": task.nin,
                            "nouts": list(task.nouts), "epochs": task.epochs, "lr": task.lr})
    with tempfile.TemporaryDirectory() as scratch:
        for what in ("train", "import"):
            best = {"none": float("inf"), "hook": float("inf")}
            for _ in range(args.rounds):
                for mode in ("none", "hook"):
                    best[mode] = min(best[mode], run(mode, what, task_json, scratch))
            print(f"{what:7s} none {best['none']:.3f} s  hook {best['hook']:.3f} s  ratio {best['hook'] / best['none']:.3f}")


if __name__ == "__main__":
    main()
