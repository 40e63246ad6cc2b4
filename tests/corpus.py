"""Building test submissions from the reference: one small patch each, never a full copy."""
import shutil
import subprocess
from pathlib import Path

from micrograde import grading
from micrograde.spec import DEFAULT_SEED, KIT_ROOT
from micrograde.worker import cgroup, facilities, isolation

REFERENCE = KIT_ROOT / "reference"
# The engine every patched submission starts from (see its header for why).
CORPUS_ENGINE = Path(__file__).parent / "corpus_engine.py"
TEMPLATE = KIT_ROOT / "student_template"


def patched_reference(dest: Path, patches=(), files=None, remove=()) -> Path:
    """A copy of the reference, its engine written out (CORPUS_ENGINE), with each
    (module, old, new) replaced exactly once.

    `files` maps extra relative paths to their text; `remove` lists relative paths to delete.
    A patch whose `old` text is not in the reference exactly once is a broken test.
    """
    dest = Path(dest)
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(CORPUS_ENGINE, dest / "micrograd" / "engine.py")
    for module, old, new in patches:
        path = dest / "micrograd" / f"{module}.py"
        text = path.read_text()
        count = text.count(old)
        if count != 1:
            raise AssertionError(f"patch for {module}.py: expected the text once, found it {count} times: {old!r}")
        path.write_text(text.replace(old, new))
    for rel, text in (files or {}).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for rel in remove:
        target = dest / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return dest


def forget_what_follows_from_the_platform() -> None:
    """The isolation and the cgroups, decided once per process from the platform layer: asked
    again (a cgroup answer cached on another platform would skip the cgroup variants of later
    tests in the same process)."""
    isolation.available.cache_clear()
    cgroup.available.cache_clear()


def forget_the_platform() -> None:
    """The platform layer and all that follows from it: asked again after a change of
    MICROGRADE_PLATFORM."""
    facilities.current.cache_clear()
    facilities._c_library.cache_clear()
    forget_what_follows_from_the_platform()


def grade(submission, report_path, milestones=None, seed=DEFAULT_SEED, limits=None) -> dict:
    """Grade through the same supervised path as `micrograde grade`, quietly."""
    return grading.grade(submission, report_path, milestones=milestones, seed=seed, limits=limits,
                         output=subprocess.DEVNULL)


def by_name(report) -> dict:
    return {t["name"]: t for t in report["tests"]}


def check_results(report) -> list:
    """What must be identical between two gradings of one submission."""
    return [(t["name"], t["status"], t["score"], t["feedback"]) for t in report["tests"]]


def cli_error_line(capsys, command: str) -> str:
    """The one line a `micrograde COMMAND` error prints on stderr."""
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"micrograde {command}: error: ")
    return err
