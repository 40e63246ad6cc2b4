"""`micrograde course init DIR` and `micrograde course check DIR`: write and check a course pack."""
from pathlib import Path

from ..errors import UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser("course", help="write or check a course pack (course.toml)",
                              description="A course pack adapts the assignment: points, visibility, extra "
                                          "operations, the M4 task, instructor checks, similarity boilerplate.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = sub.add_parser("init", help="write DIR/course.toml with every default spelled out and commented")
    init.add_argument("folder", metavar="DIR")
    init.add_argument("--name", default=None, help="the course's name (default: the folder's)")
    init.set_defaults(func=run_init)
    check = sub.add_parser("check", help="validate DIR and print the rubric it makes")
    check.add_argument("folder", metavar="DIR")
    check.set_defaults(func=run_check)


def run_init(args) -> int:
    from .. import atomic
    from ..course import CHECKS_DIR, COURSE_FILE
    from ..course.init import course_toml

    folder = Path(args.folder)
    if (folder / COURSE_FILE).exists():
        raise UsageError(f"{folder / COURSE_FILE} exists: edit it, or give a new folder")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file: give a folder for the course pack")
    (folder / CHECKS_DIR).mkdir(parents=True, exist_ok=True)
    atomic.write_text(folder / COURSE_FILE, course_toml(args.name or folder.resolve().name))
    print(f"wrote {folder / COURSE_FILE} (every default spelled out) and {folder / CHECKS_DIR}/ for "
          f"instructor checks; check it with `micrograde course check {folder}`")
    return 0


def rubric_lines(course) -> list[str]:
    from tabulate import tabulate

    from .. import rubric
    from ..course import task

    rows = [[m, name, points, rubric.visibility(name, course),
             "instructor" if name in course.instructor else ""] for m, name, points in rubric.checks(course=course)]
    off = [name for _, name, _ in rubric.checks() if not course.enabled(name)]
    totals = {}
    for m, _, points in rubric.checks(course=course):
        totals[m] = totals.get(m, 0) + points
    lines = [f"course {course.name} (sha256 {course.sha256})", ""]
    lines.append(tabulate(rows, headers=["milestone", "check", "points", "visibility", ""], tablefmt="simple"))
    lines.append("")
    lines += [f"{m} {rubric.title(m, course)}: {totals.get(m, 0):g} points" for m in rubric.MILESTONES]
    lines.append(f"total: {sum(totals.values()):g} points")
    if off:
        lines.append(f"switched off: {', '.join(off)}")
    lines.append(f"extra operations: {', '.join(course.extra_operations) or 'none'}")
    s = task.settings(course)
    lines.append("M4 task: " + ", ".join(f"{k} {v}" for k, v in s.items()))
    sim = course.similarity
    lines.append(f"similarity: threshold {sim.get('threshold', 'relative')}, boilerplate "
                 f"{', '.join(sim.get('boilerplate', [])) or 'none'}")
    return lines


def run_check(args) -> int:
    from .. import course as courses
    from ..course.task import task_for
    from ..spec import DEFAULT_SEED

    course = courses.load(args.folder)
    task_for(course, DEFAULT_SEED)  # a task the kit's own SGD cannot learn is refused now, not at grading
    print("\n".join(rubric_lines(course)))
    return 0
