"""The documents: every relative link and anchor resolves, in the kit and in the student
release, and the release's README, followed as written, grades the template and a solution."""
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from micrograde.cli import main

KIT = Path(__file__).resolve().parents[1]

_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~)")


def _prose(text: str) -> str:
    """The Markdown outside fenced and indented code blocks and inline code spans."""
    kept, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    "):
            kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of `text`: lower case, punctuation dropped,
    spaces as hyphens, and -1, -2 ... after a repeated one."""
    seen, found = {}, set()
    for line in _prose(text).splitlines():
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def broken_links(root: Path) -> list[str]:
    """Every relative link or anchor in the Markdown files under `root` that leads nowhere."""
    broken = []
    for doc in sorted(root.rglob("*.md")):
        if any(part.startswith(".") or part in ("node_modules", "build") for part in doc.relative_to(root).parts):
            continue
        for target in _LINK.findall(_prose(doc.read_text(encoding="utf-8"))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not ours to check
                continue
            path, _, anchor = target.partition("#")
            dest = (doc.parent / path).resolve() if path else doc
            where = f"{doc.relative_to(root)}: {target}"
            if not dest.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text(encoding="utf-8")):
                broken.append(f"{where} (no such heading)")
    return broken


def test_every_link_of_the_kit_documents_resolves():
    assert broken_links(KIT) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "a.md").write_text("# Top\n## Set up, twice!\n[ok](#set-up-twice) [ok](b.md#top)\n"
                                   "[gone](c.md) [nowhere](b.md#bottom) `[code](x.md)`\n")
    (tmp_path / "b.md").write_text("# Top\n")
    assert broken_links(tmp_path) == ["a.md: c.md (no such file)", "a.md: b.md#bottom (no such heading)"]


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "student-kit"
    assert main(["release", "--out", str(out)]) == 0
    return out


def test_every_link_of_the_release_resolves(release):
    assert broken_links(release) == []


def test_the_release_readme_is_the_students_guide(release):
    text = (release / "README.md").read_text(encoding="utf-8")
    assert text == (KIT / "docs" / "students.md").read_text(encoding="utf-8")
    for instructors_only in ("micrograde batch", "gradescope-bundle", "reference/", "--integrity"):
        assert instructors_only not in text


def _setup_commands(readme: str) -> list[str]:
    """The commands of the README's first shell block, one per line."""
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def _environment(release: Path) -> dict:
    """The README's `python3 -m venv .venv` will find .venv already made, able to see the
    packages this interpreter has (pip, pytest, numpy ...) as plain path entries, so that
    its `pip install -e .` needs no download and installs only the release's own kit; and a
    `pytest` in it, as installing the dependencies would have put there."""
    venv = release / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    (site_dir,) = (venv / "lib").glob("python*/site-packages")
    # Everything but pip (so that venv still installs .venv's own) and the kit itself.
    outer = release / ".outer-site"
    outer.mkdir()
    for folder in map(Path, site.getsitepackages()):
        for entry in folder.iterdir():
            if not re.match(r"(pip|micrograde|__editable__)\b|_outer_site|.*\.pth$", entry.name) \
                    and not (outer / entry.name).exists():
                (outer / entry.name).symlink_to(entry)
    (site_dir / "_outer_site.pth").write_text(f"{outer}\n")
    pytest_script = bindir / "pytest"
    pytest_script.write_text(f"#!{bindir / 'python'}\nimport sys, pytest\nsys.exit(pytest.main())\n")
    pytest_script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # python3 is the machine's own interpreter, as on the student's machine, and no other
    # virtual environment's pip or pytest is on the PATH: only .venv's, once activated.
    shim = release / ".shims"
    shim.mkdir()
    (shim / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    outer_bin = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")
    path = [p for p in env["PATH"].split(os.pathsep) if Path(p) != outer_bin or sys.prefix == sys.base_prefix]
    env["PATH"] = os.pathsep.join([str(shim), *path])
    return env


def _run_setup(release: Path, env: dict):
    """Run the README's commands in one shell, as a student pasting them would."""
    # A guard, not a change: a pip that is not .venv's would install into another environment.
    guard = ('pip() { [ "$VIRTUAL_ENV" = "$PWD/.venv" ] && [ "$(type -P pip)" = "$PWD/.venv/bin/pip" ] '
             '|| { echo "pip is not the one of .venv" >&2; return 99; }; command pip "$@"; }; ')
    script = guard + " && ".join(_setup_commands((release / "README.md").read_text(encoding="utf-8")))
    script += "; status=$?; python -c 'import micrograde; print(micrograde.__file__)'; exit $status"
    return subprocess.run(["bash", "-c", script], cwd=release, env=env, capture_output=True, text=True, timeout=900)


def _score(report: Path) -> tuple[int, int]:
    from micrograde.report import load_report
    data = load_report(report)
    return data["score"], data["max_score"]


@pytest.mark.skipif(os.name == "nt", reason="the release's README is followed with bash")
def test_a_student_following_the_release_readme_gets_a_graded_run(release):
    env = _environment(release)
    done = _run_setup(release, env)
    # pytest graders/m1 exits 1 on the empty template: every check fails
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert str(release / "graders" / "micrograde") in done.stdout  # the release's own kit is the one installed
    assert "Start here" in done.stdout  # an explained failure
    assert _score(release / "micrograde-report.json")[0] == 0

    # A correct solution copied into the template gets full marks with the same command.
    template = release / "student_template" / "micrograd"
    shutil.rmtree(template)
    shutil.copytree(KIT / "reference" / "micrograd", template)
    again = subprocess.run(["bash", "-c", ". .venv/bin/activate && " + shlex.join(["pytest", "graders/m1"])],
                           cwd=release, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stdout[-3000:]
    score, max_score = _score(release / "micrograde-report.json")
    assert score == max_score > 0
