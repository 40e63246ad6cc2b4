"""`micrograde release --out DIR`: the kit as students get it (no reference solution)."""
import shutil
from pathlib import Path

from ..errors import UsageError
from ..options import add_course_option, course_from


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "release", help="write the student kit (template, graders, specs, students' README) without the solution",
        description="Write the kit as students should get it: student_template/, graders/, specs/, README.md "
                    "(the students' guide, docs/students.md), "
                    "pyproject.toml and a GitHub Actions workflow (.github/workflows/grade.yml). "
                    "reference/, tests/ and benchmarks/ are left out.")
    p.add_argument("--out", required=True, metavar="DIR", help="new or empty folder to write the kit to")
    add_course_option(p.add_argument)
    p.set_defaults(func=run)


def write_release(out, root=None, course=None) -> list:
    """Copy the kit into the empty folder `out`; returns the relative paths written.
    `course`: a micrograde.course.Course whose student side ships in out/course/ (its hidden
    checks cut out of the kit and the pack: course/student.py)."""
    from .. import atomic
    from ..course import extend, student
    from ..kit_files import WORKFLOW_PATH, kit_files, source, workflow_text
    from ..spec import KIT_ROOT

    root = Path(root or KIT_ROOT)
    out = Path(out)
    files = kit_files(root)
    for rel in files:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source(root, rel), out / rel)
    atomic.write_text(out / WORKFLOW_PATH, workflow_text())
    written = files + [Path(WORKFLOW_PATH)]
    if course is not None and course.root is not None:
        hidden = course.hidden_checks()
        student.filter_kit(out, files, hidden)
        extend.extend_template(out / "student_template", course.extra_operations)  # the stubs students fill in
        written += student.write_pack(course, out)
        student.refuse_hidden_names(out, hidden)
    return written


def run(args) -> int:
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder: give a new folder for the release")
    written = write_release(out, course=course_from(args.course))
    print(f"wrote the student kit to {out} ({len(written)} files; no reference solution)")
    return 0
