"""The kit as handed out: `micrograde release`, the Gradescope bundle (run against a
temporary /autograder tree) and the student-repository GitHub Actions workflow (its
commands run locally)."""
import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from micrograde.cli import main
from micrograde.errors import KitError
from micrograde.kit_files import WORKFLOW_PATH, kit_files, workflow_text

KIT = Path(__file__).resolve().parents[1]
REFERENCE = KIT / "reference" / "micrograd"


def _error_line(capsys, command):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"micrograde {command}: error: ")
    return err


# --- which files make the kit --------------------------------------------------------

def test_kit_files_leave_out_solution_tests_and_junk():
    files = [p.as_posix() for p in kit_files(KIT)]
    assert "specs/report.schema.json" in files and "pyproject.toml" in files
    assert "graders/micrograde/cli/__init__.py" in files
    assert any(f.startswith("student_template/micrograd/") for f in files)
    for f in files:
        assert f.split("/")[0] in ("README.md", "pyproject.toml", "specs", "graders", "student_template"), f
        assert "__pycache__" not in f and ".egg-info" not in f and not f.endswith(".pyc"), f


def test_kit_files_refuse_a_copy_of_the_solution(tmp_path):
    (tmp_path / "reference" / "micrograd").mkdir(parents=True)
    solution = "class Value:\n" + "    # the real thing\n" * 20
    (tmp_path / "reference" / "micrograd" / "engine.py").write_text(solution)
    (tmp_path / "student_template" / "micrograd").mkdir(parents=True)
    (tmp_path / "student_template" / "micrograd" / "__init__.py").write_text("")
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "helper.py").write_text("x = 1\n")
    assert [p.as_posix() for p in kit_files(tmp_path)] == ["graders/helper.py", "student_template/micrograd/__init__.py"]
    (tmp_path / "graders" / "oops.py").write_text(solution)
    with pytest.raises(KitError, match="graders/oops.py is a copy of a reference solution file"):
        kit_files(tmp_path)


# --- micrograde release --------------------------------------------------------------

def test_release_writes_the_student_kit(tmp_path, capsys):
    out = tmp_path / "kit"
    assert main(["release", "--out", str(out)]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted([p.as_posix() for p in kit_files(KIT)] + [WORKFLOW_PATH])
    assert not (out / "reference").exists() and not (out / "tests").exists() and not (out / "benchmarks").exists()
    assert (out / WORKFLOW_PATH).read_text() == workflow_text()
    reference_sources = {p.read_bytes() for p in REFERENCE.glob("*.py") if len(p.read_bytes()) > 200}
    assert not any(p.read_bytes() in reference_sources for p in out.rglob("*.py"))


def test_release_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "mine.txt").write_text("keep me")
    assert main(["release", "--out", str(tmp_path / "kit")]) == 2
    assert "not an empty folder" in _error_line(capsys, "release")
    assert (tmp_path / "kit" / "mine.txt").read_text() == "keep me"


# --- Gradescope ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(path)]) == 0
    return path


def test_bundle_layout_and_no_solution(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert {"setup.sh", "run_autograder"} <= set(infos)  # at the root, as Gradescope wants
    for name in ("setup.sh", "run_autograder"):
        assert (infos[name].external_attr >> 16) & 0o111, f"{name} is not executable"
    kit = {n for n in infos if n not in ("setup.sh", "run_autograder")}
    assert kit == {f"kit/{p.as_posix()}" for p in kit_files(KIT)}
    assert not any("reference" in n.split("/") or n.startswith("kit/tests/") for n in infos)
    again = tmp_path / "again.zip"
    assert main(["gradescope-bundle", "--out", str(again)]) == 0
    assert again.read_bytes() == bundle.read_bytes()  # reproducible


def gradescope_tree(tmp_path, bundle):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    run = root / "source" / "run_autograder"
    run.chmod(0o755)  # zipfile does not restore modes; Gradescope does
    return root, run


def run_autograder(run, root, **env):
    full = {**os.environ, "AUTOGRADER_ROOT": str(root), "MICROGRADE_PYTHON": sys.executable, **env}
    full.pop("PYTHONPATH", None)
    return subprocess.run([str(run)], env=full, capture_output=True, text=True, timeout=300)


def test_run_autograder_in_a_gradescope_shaped_tree(tmp_path, bundle):
    root, run = gradescope_tree(tmp_path, bundle)
    # a student who uploaded their whole repository: the package sits one folder down
    shutil.copytree(REFERENCE, root / "submission" / "my-repo" / "micrograd")
    done = run_autograder(run, root, MICROGRADE_MILESTONES="m1")
    assert done.returncode == 0, done.stderr
    # the bundled kit graded, not whatever micrograde is installed
    assert f"from {(root / 'source' / 'kit' / 'graders' / 'micrograde').resolve()}" in done.stdout
    results = json.loads((root / "results" / "results.json").read_text())
    assert isinstance(results["score"], (int, float)) and results["score"] > 0
    assert results["tests"] and all(t["status"] in ("passed", "failed") for t in results["tests"])
    assert all(t["name"].startswith("m1 ") for t in results["tests"])
    assert results["score"] == sum(t["max_score"] for t in results["tests"])  # the reference gets it all


def test_run_autograder_always_leaves_results(tmp_path, bundle):
    root, run = gradescope_tree(tmp_path, bundle)
    (root / "submission").mkdir()
    done = run_autograder(run, root, MICROGRADE_SEED="not-a-number")
    assert done.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not grade" in results["output"]


def test_a_baked_in_seed_is_a_root_only_file_and_in_no_script(tmp_path):
    path = tmp_path / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(path), "--seed", "918273"]) == 0
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        assert zf.read("seed") == b"918273\n" and (infos["seed"].external_attr >> 16) & 0o777 == 0o600
        assert b"918273" not in zf.read("run_autograder") and b"918273" not in zf.read("setup.sh")
    root, run = gradescope_tree(tmp_path, path)
    shutil.copytree(REFERENCE, root / "submission" / "micrograd")
    done = run_autograder(run, root, MICROGRADE_MILESTONES="m1")
    assert done.returncode == 0, done.stderr
    assert json.loads((root / "results" / "report.json").read_text())["seed"] == 918273
    assert (root / "source" / "seed").stat().st_mode & 0o077 == 0  # run_autograder made it root's alone


def test_bundle_cli_error(tmp_path, capsys):
    assert main(["gradescope-bundle", "--out", str(tmp_path)]) == 2
    assert "is a folder" in _error_line(capsys, "gradescope-bundle")


# --- the student-repository workflow -------------------------------------------------

def workflow_steps(text: str) -> list:
    """(name, run, if) of each step, read line by line from the workflow: every `run:`
    in it is a one-line command, which the assertion below keeps true."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "steps:")
    indent = None
    steps = []
    for line in lines[start + 1:]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if indent is None:
            indent = len(line) - len(line.lstrip())
        if len(line) - len(line.lstrip()) < indent:
            break
        stripped = line.strip()
        if len(line) - len(line.lstrip()) == indent and stripped.startswith("- "):
            steps.append({})
            stripped = stripped[2:]
        key, _, value = stripped.partition(":")
        if key in ("name", "run", "if", "uses"):
            steps[-1][key] = value.strip()
    for step in steps:
        assert step.get("run", "") not in ("|", ">", "|-", ">-"), "multi-line run blocks are not extracted"
    return steps


def test_workflow_parses_as_yaml_with_the_same_steps():
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(workflow_text())
    steps = doc["jobs"]["grade"]["steps"]
    assert [s.get("run") for s in steps] == [s.get("run") for s in workflow_steps(workflow_text())]
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") and s["with"]["path"] == "report.json"
               for s in steps)


def test_workflow_commands_run_locally(tmp_path):
    repo = tmp_path / "student-repo"
    assert main(["release", "--out", str(repo)]) == 0
    steps = workflow_steps((repo / WORKFLOW_PATH).read_text())
    assert [s["run"] for s in steps if "run" in s] == [
        "python -m pip install -e .",
        "micrograde grade student_template --json report.json",
        'micrograde export report.json --format markdown >> "$GITHUB_STEP_SUMMARY"',
    ]
    # A throwaway environment for the install step to install into, as written, without
    # touching this interpreter's micrograde. It sees this interpreter's site-packages
    # (pip and the dependencies) as plain path entries: their .pth files, among them the
    # one that makes the development checkout importable, are not processed.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_dir,) = (venv / "lib").glob("python*/site-packages")
    (site_dir / "_outer_site.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", GITHUB_STEP_SUMMARY=str(summary),
               VIRTUAL_ENV=str(venv))

    def where_is_micrograde():
        return subprocess.run(["python", "-c", "import micrograde; print(micrograde.__file__)"],
                              cwd=tmp_path, env=env, capture_output=True, text=True)

    assert where_is_micrograde().returncode != 0  # only the install step will provide it
    failed = False
    for step in steps:
        if "run" not in step or (failed and step.get("if") != "always()"):
            continue
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0 or step["run"].startswith("micrograde grade"), (step, done.stderr)
        failed = failed or done.returncode != 0
        if step["run"].startswith("python -m pip"):
            assert done.returncode == 0, done.stderr
            where = where_is_micrograde()
            assert where.stdout.startswith(str(repo)), where  # the release's own kit is the one installed
    from micrograde.report import load_report
    report = load_report(repo / "report.json")
    text = summary.read_text()
    assert text.startswith("## micrograde: ")
    assert "| Milestone | Points | Max | Checks passed |" in text
    assert report["score"] < report["max_score"]  # the empty template loses points...
    assert "### Checks that lost points" in text  # ...and the summary says where
