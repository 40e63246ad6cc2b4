"""The M4 task of a course: the seeded regression (default), XOR, two moons, or the
instructor's CSV of points; its target MSE, epoch budget, learning rate and hidden layers.

Whatever the points, the grader draws the starting weights from the grading seed and
keeps a start only when its own SGD (trusted/mlp.py, the steps train() must take) learns
the task from there within the budget (training_task.py). A task the kit's own SGD
cannot learn is refused with a CourseError that says what to change, before any student
is charged for it.
"""
import csv
import math
import random

from ..errors import CourseError
from .. import seeds
from .. import training_task as base

KINDS = ("seeded", "xor", "moons", "csv")
# Defaults per kind: what the grader's SGD learns from most starts (measured by
# tests/test_course.py), in the contract's spirit (MSE below 0.01).
DEFAULTS = {
    "seeded": {"epochs": base.EPOCHS, "lr": base.LR, "hidden": list(base.NOUTS[:-1])},
    "xor": {"epochs": 400, "lr": 0.2, "hidden": [4]},
    # Two moons are harder for a small tanh MLP under full-batch SGD: a looser target.
    "moons": {"epochs": 600, "lr": 0.3, "hidden": [8], "target_mse": 0.05},
    "csv": {"epochs": 400, "lr": 0.1, "hidden": [8]},
}
XOR_POINTS = 24
MOONS_POINTS = 20
_cache: dict = {}


def _xor():
    """24 points around the four corners of the square, target +1 where exactly one
    coordinate is positive, else -1: the course text's XOR, with a little fixed jitter."""
    rng = random.Random("micrograde xor points")
    xs, ys = [], []
    for i in range(XOR_POINTS):
        a, b = (1 if i % 2 else -1), (1 if (i // 2) % 2 else -1)
        xs.append([0.7 * a + rng.uniform(-0.15, 0.15), 0.7 * b + rng.uniform(-0.15, 0.15)])
        ys.append(1.0 if a != b else -1.0)
    return xs, ys


def _moons(n: int):
    """Two interleaving half circles (the course text's moons), scaled into [-1, 1]; +0.5 and -0.5."""
    rng = random.Random(f"micrograde moons points {n}")
    xs, ys = [], []
    for i in range(n):
        upper = i % 2 == 0
        t = math.pi * (i // 2) / max(1, (n + 1) // 2 - 1)
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        xs.append([(x - 0.5) / 1.5 + rng.uniform(-0.03, 0.03), (y - 0.25) / 1.0 + rng.uniform(-0.03, 0.03)])
        ys.append(0.5 if upper else -0.5)
    return xs, ys


def _csv(course):
    path = course.root / course.task["csv"]
    xs, ys = [], []
    with open(path, newline="", encoding="utf-8") as f:
        for number, row in enumerate(csv.reader(f), 1):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                values = [float(cell) for cell in row]
            except ValueError:
                if number == 1:
                    continue  # a header
                raise CourseError(f"{path}: line {number}: every cell must be a number (x1,x2,...,y)") from None
            if len(values) < 2 or not all(math.isfinite(v) for v in values):
                raise CourseError(f"{path}: line {number}: a point is x1,...,xn,y with finite numbers")
            if xs and len(values) != len(xs[0]) + 1:
                raise CourseError(f"{path}: line {number}: {len(values)} columns, the first point has {len(xs[0]) + 1}")
            xs.append(values[:-1])
            ys.append(values[-1])
    if len(xs) < 20:
        raise CourseError(f"{path}: {len(xs)} points: the M4 task needs at least 20")
    if len(xs[0]) > 8:
        raise CourseError(f"{path}: {len(xs[0])} inputs per point: at most 8")
    return xs, ys


def settings(course) -> dict:
    """The task's settings, every default filled in."""
    task = course.task
    kind = task.get("kind", "seeded")
    out = {"kind": kind, "target_mse": base.TARGET_MSE, **DEFAULTS[kind]}
    out.update({k: task[k] for k in ("epochs", "lr", "hidden", "csv", "target_mse") if k in task})
    if kind == "moons":
        out["points"] = task.get("points", MOONS_POINTS)
    return out


def task_for(course, seed: int) -> base.Task:
    """The M4 task the course asks for, with its start drawn from `seed`."""
    key = (course.sha256, seed)
    if key not in _cache:
        _cache[key] = _build(course, seed)
    return _cache[key]


def _build(course, seed: int) -> base.Task:
    s = settings(course)
    if not course.task or course.task == {"kind": "seeded"}:
        return base.regression_task(seed)
    if s["kind"] == "seeded":
        template = base.regression_task(seed)
        xs, ys, what = template.xs, template.ys, f"{base.POINTS} points"
    elif s["kind"] == "xor":
        (xs, ys), what = _xor(), f"XOR, {XOR_POINTS} points"
    elif s["kind"] == "moons":
        (xs, ys), what = _moons(s["points"]), f"two moons, {s['points']} points"
    else:
        (xs, ys), what = _csv(course), f"{course.task['csv']}"
    nin, nouts = len(xs[0]), tuple(s["hidden"]) + (1,)
    rng = random.Random(seeds.derived(seed, f"m4 start {s['kind']}"))  # keyed: the start gives no seed away
    found = base._learnable_start(rng, xs, ys, nin, nouts, s["epochs"], s["lr"], s["target_mse"])
    if found is None:
        raise CourseError(
            f"{course.root}/course.toml: key task: the kit's own SGD does not bring {what} below MSE "
            f"{s['target_mse'] / 2:g} (half the target) in {s['epochs']} epochs at lr {s['lr']} with hidden "
            f"layers {s['hidden']} from {base.MAX_DRAWS} starts: raise epochs, change lr or hidden, or raise target_mse")
    start, start_mse = found
    return base.Task(xs, ys, start, start_mse, nin=nin, nouts=nouts, epochs=s["epochs"], lr=s["lr"],
                     target_mse=s["target_mse"], what=what)
