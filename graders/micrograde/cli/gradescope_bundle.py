"""`micrograde gradescope-bundle --out autograder.zip`: a Gradescope autograder.

The zip holds setup.sh and run_autograder at its root (Gradescope's layout) and the kit
under kit/ (from kit_files: no reference solution). run_autograder calls back into this
module (`python -m micrograde.cli.gradescope_bundle SUBMISSION RESULTS`), which grades
the submission and always leaves a results.json, even when grading itself breaks."""
import io
import json
import os
import sys
import zipfile
from pathlib import Path

from ..errors import UsageError
from ..options import add_course_option, course_from

SEED_FILE = "seed"  # a seed baked in: a root-only file beside run_autograder
# Fixed timestamp: the same kit gives the same zip, byte for byte.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
set -euo pipefail
SOURCE="${AUTOGRADER_SOURCE:-/autograder/source}"
VENV="${MICROGRADE_VENV:-/autograder/venv}"
apt-get update
apt-get install -y python3 python3-pip python3-venv
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
# Editable, so the kit keeps finding its specs/ and graders/ under $SOURCE/kit.
"$VENV/bin/python" -m pip install -e "$SOURCE/kit"
# A seed baked into the bundle is root's alone: no worker may read it.
if [ -f "$SOURCE/seed" ]; then chown root:root "$SOURCE/seed" || true; chmod 600 "$SOURCE/seed"; fi
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. Every path can be moved with an environment
# variable, so the kit's own tests run it against a temporary tree shaped like /autograder.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
SUBMISSION="${AUTOGRADER_SUBMISSION:-$ROOT/submission}"
RESULTS="${AUTOGRADER_RESULTS:-$ROOT/results}"
PY="${MICROGRADE_PYTHON:-$ROOT/venv/bin/python}"
[ -x "$PY" ] || PY=python3
# A seed baked in with --seed is a file only root may read, never part of this script:
# a worker's uid can read this script, and every command line.
SEED_FILE="$SOURCE/seed"
if [ -f "$SEED_FILE" ]; then
    chmod 600 "$SEED_FILE" 2>/dev/null || true
    if [ -z "${MICROGRADE_SEED:-}" ]; then MICROGRADE_SEED="$(cat "$SEED_FILE")"; export MICROGRADE_SEED; fi
fi
# The bundled kit comes first on the path, whatever else is installed.
export PYTHONPATH="$SOURCE/kit/graders${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m micrograde.cli.gradescope_bundle "$SUBMISSION" "$RESULTS"
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "gradescope-bundle", help="build a Gradescope autograder zip",
        description="Build a Gradescope autograder zip: setup.sh, run_autograder and the kit "
                    "(without the reference solution). In run_autograder's environment, MICROGRADE_SEED "
                    "sets a private seed (or bake one in with --seed), MICROGRADE_MILESTONES (e.g. \"m1 m2\") "
                    "limits the milestones graded, MICROGRADE_VISIBILITY sets the tests' Gradescope visibility and "
                    "MICROGRADE_INTEGRITY=zero scores submissions with integrity findings 0.")
    p.add_argument("--out", required=True, metavar="ZIP", help="the zip to write, e.g. autograder.zip")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed baked into the bundle (default: the kit's public seed)")
    add_course_option(p.add_argument)
    p.set_defaults(func=run)


def build_bundle(out, root=None, seed=None, course=None) -> list:
    """`course`: a micrograde.course.Course shipped whole at kit/course/ (the autograder is the
    official grade: hidden checks included; Gradescope hides them from students per test)."""
    from .. import atomic
    from ..kit_files import kit_files, source
    from ..spec import KIT_ROOT

    root = Path(root or KIT_ROOT)
    entries = [("setup.sh", SETUP_SH.encode(), 0o755), ("run_autograder", RUN_AUTOGRADER.encode(), 0o755)]
    if seed is not None:
        entries.append((SEED_FILE, f"{int(seed)}\n".encode(), 0o600))
    entries += [(f"kit/{rel.as_posix()}", source(root, rel).read_bytes(), 0o644) for rel in kit_files(root)]
    if course is not None and course.root is not None:
        from ..course import COURSE_FILE, SHIPPED_DIR, pack_files

        for rel in [Path(COURSE_FILE), *pack_files(course.root)]:
            entries.append((f"kit/{SHIPPED_DIR}/{rel.as_posix()}", (course.root / rel).read_bytes(), 0o644))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = (0o100000 | mode) << 16  # regular file + permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    atomic.write_bytes(out, buf.getvalue())
    return [name for name, _, _ in entries]


def run(args) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: give the path of the zip to write, e.g. {out / 'autograder.zip'}")
    names = build_bundle(out, seed=args.seed, course=course_from(args.course))
    print(f"wrote {out} ({len(names)} files): upload it as the Gradescope autograder")
    return 0


# --- inside the Gradescope container -------------------------------------------------

def autograde(submission, results) -> int:
    """Grade /autograder/submission into /autograder/results/results.json."""
    from .. import __version__, atomic
    from ..report import gradescope

    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    # Where the kit was imported from: the bundled copy, unless the environment is wrong.
    print(f"micrograde {__version__} from {Path(__file__).resolve().parents[1]}")
    try:
        from .. import grading
        from ..batch.locate import find_submission_root
        from ..spec import DEFAULT_SEED

        seed = int(os.environ.get("MICROGRADE_SEED") or DEFAULT_SEED)
        # e.g. "m1 m2" for an early assignment that covers only those milestones
        milestones = os.environ.get("MICROGRADE_MILESTONES", "").split() or None
        root = find_submission_root(submission)
        # Findings go to run_autograder's stdout (instructors only); students read "flagged for review".
        report = grading.grade(root, results / "report.json", seed=seed, milestones=milestones,
                               integrity_policy=os.environ.get("MICROGRADE_INTEGRITY", "report"))
        data = gradescope.to_results(report, visibility=os.environ.get("MICROGRADE_VISIBILITY", "visible"))
    except Exception as e:  # Gradescope shows nothing useful without results.json: always write one
        print(f"micrograde: grading failed: {type(e).__name__}: {e}", file=sys.stderr)
        data = {"score": 0, "output": "The autograder could not grade this submission "
                f"({type(e).__name__}: {e}). Please tell your instructor.", "tests": []}
    atomic.write_text(results / "results.json", json.dumps(data, indent=2) + "\n")
    print(f"micrograde: score {data['score']}; results in {results / 'results.json'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m micrograde.cli.gradescope_bundle SUBMISSION_DIR RESULTS_DIR")
    sys.exit(autograde(sys.argv[1], sys.argv[2]))
