"""`micrograde course init DIR`: a course.toml with every default spelled out and commented.

Written from the kit's own sources (the rubric, the task's defaults, the catalogue of
operations), so what it says cannot drift from what grading does."""
from .. import rubric
from ..trusted.operations import CATALOGUE
from . import VISIBILITIES, schema
from .task import DEFAULTS, MOONS_POINTS


def _toml(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def course_toml(name: str) -> str:
    task = DEFAULTS["seeded"]
    ops = "\n".join(f"#   {op:<10} {CATALOGUE[op].summary}" for op in schema()["properties"]["operations"]
                    ["properties"]["extra"]["items"]["enum"])
    lines = [
        "# A micrograde course pack. Every key is optional: delete what you do not change.",
        "# Checked by `micrograde course check DIR`; used with --course DIR by `micrograde grade`,",
        "# `batch`, `release`, `gradescope-bundle` and `pytest graders`. Schema: specs/course.schema.json.",
        "",
        "[course]",
        f"name = {_toml(name)}            # shown in every report",
        'default_visibility = "visible"   # of every check below that does not set its own:',
        f"                                 # {', '.join(VISIBILITIES)}",
        "",
        "# Milestone titles (shown in tables and exports).",
    ]
    for m in rubric.MILESTONES:
        lines += [f"[milestones.{m}]", f"title = {_toml(rubric.title(m))}"]
    lines += [
        "",
        "# Extra operations of Value, from the kit's catalogue; each one adds template stubs, reference",
        "# code in the release's solution, and property checks (forward values, local gradients,",
        "# random graphs, finite differences). The catalogue:",
        ops,
        "[operations]",
        "extra = []",
        "",
        "# The M4 training task. kind: \"seeded\" (a regression drawn from the grading seed), \"xor\",",
        f"# \"moons\" (points = 20 to 400; default {MOONS_POINTS}) or \"csv\" (csv = \"file in this pack\", one",
        "# point a line: x1,...,xn,y). The grader refuses a task its own SGD cannot learn within the budget.",
        "[task]",
        'kind = "seeded"',
        "# target_mse = 0.01     # the loss a student's train() must reach (moons: 0.05)",
    ]
    for kind, values in DEFAULTS.items():
        shown = ", ".join(f"{k} = {_toml(v)}" for k, v in values.items())
        lines.append(f"# {kind:<7} defaults: {shown}")
    lines += [
        f"# epochs = {task['epochs']}",
        f"# lr = {task['lr']}",
        f"# hidden = {_toml(task['hidden'])}      # hidden layer sizes of the MLP trained",
        "",
        "# Similarity of submissions in a batch. boilerplate: folders in this pack of code every student",
        "# was given or told to follow (starter code, the lecture's code): shared with it is not suspicious.",
        "# threshold: \"relative\" flags the pairs that stand out from the class; a number (0 to 1) flags",
        "# every pair at or above it.",
        "[similarity]",
        "boilerplate = []",
        'threshold = "relative"',
        "",
        "# Every check with its points and visibility. enabled = false switches a check off. An instructor",
        "# check (a def test_... in this pack's checks/ folder) needs a table too, with its milestone.",
    ]
    for m, check, points in rubric.checks():
        lines += [f"[checks.{check}]   # {m}", f"points = {_toml(points)}", 'visibility = "visible"', "enabled = true"]
    return "\n".join(lines) + "\n"
