"""`micrograde batch`: safe zip extraction, discovery, gradebook and plot (no grading
needed), then real batches through the grading engine: folder vs zip, re-runs, resume
after a kill, and a submission that cannot be graded."""
import csv
import hashlib
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from corpus import cli_error_line
from hostile import COLLIDING_UPLOADS
from micrograde.batch import cache, safezip
from micrograde.batch.discover import discover
from micrograde.errors import SourceError
from micrograde.batch.gradebook import write_gradebook
from micrograde.batch.locate import find_submission_root
from micrograde.batch.plot import write_summary_png
from micrograde.batch.summary import stats
from micrograde.cli import main
from micrograde.worker.limits import Limits

KIT = Path(__file__).resolve().parents[1]
REFERENCE = KIT / "reference" / "micrograd"


def zip_of(path, members: dict, symlinks=()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def read_csv(path):
    return list(csv.DictReader(io.StringIO(Path(path).read_text())))


# --- safe extraction -----------------------------------------------------------------

def test_extract_plain_zip_skips_mac_clutter(tmp_path):
    z = zip_of(tmp_path / "a.zip", {"alice/micrograd/engine.py": "x = 1\n", "__MACOSX/alice/._engine.py": "junk",
                                    "alice/.DS_Store": "junk"})
    dest = safezip.extract(z, tmp_path / "out")
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == ["alice/micrograd/engine.py"]


@pytest.mark.parametrize("members,symlinks,expected", [
    ({"../evil.py": "x"}, (), "unsafe path"),
    ({"ok/../../evil.py": "x"}, (), "unsafe path"),
    ({"/etc/evil.py": "x"}, (), "unsafe path"),
    ({"..\\evil.py": "x"}, (), "unsafe path"),
    ({"C:/evil.py": "x"}, (), "unsafe path"),
    ({"a.py": "x"}, [("link", "/etc/passwd")], "symbolic link"),
])
def test_extract_refuses_unsafe_zips_and_leaves_nothing(tmp_path, members, symlinks, expected):
    z = zip_of(tmp_path / "bad.zip", members, symlinks)
    with pytest.raises(safezip.ZipProblem, match=expected):
        safezip.extract(z, tmp_path / "x" / "out")
    assert not (tmp_path / "x" / "out").exists()
    assert list((tmp_path / "x").iterdir()) == []  # no staging leftovers
    assert not (tmp_path / "evil.py").exists()


def test_extract_counts_real_bytes_against_the_caps(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", b"\0" * (3 * 2**20))  # compresses to a few KB
    assert z.stat().st_size < 50_000
    with pytest.raises(safezip.ZipProblem, match="more than 1 MB"):
        safezip.extract(z, tmp_path / "out", max_file_bytes=2**20)
    with pytest.raises(safezip.ZipProblem, match="size limit"):
        safezip.extract(z, tmp_path / "out", max_total_bytes=2**20)
    with pytest.raises(safezip.ZipProblem, match="entries"):
        safezip.extract(zip_of(tmp_path / "many.zip", {f"f{i}": "" for i in range(5)}), tmp_path / "out", max_files=4)


def test_extract_broken_zip(tmp_path):
    z = tmp_path / "broken.zip"
    z.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(safezip.ZipProblem, match="not a valid zip"):
        safezip.extract(z, tmp_path / "out")


# --- finding submissions -------------------------------------------------------------

def make_sub(folder, engine="class Value: pass\n"):
    (folder / "micrograd").mkdir(parents=True)
    (folder / "micrograd" / "__init__.py").write_text("")
    (folder / "micrograd" / "engine.py").write_text(engine)
    return folder


def test_locate_submission_root(tmp_path):
    assert find_submission_root(make_sub(tmp_path / "a")) == tmp_path / "a"
    make_sub(tmp_path / "b" / "repo-main" / "student_template")
    assert find_submission_root(tmp_path / "b") == tmp_path / "b" / "repo-main" / "student_template"
    make_sub(tmp_path / "c" / "v1")
    make_sub(tmp_path / "c" / "v2")
    assert find_submission_root(tmp_path / "c") == tmp_path / "c"  # ambiguous: graded as is
    (tmp_path / "d").mkdir()
    assert find_submission_root(tmp_path / "d") == tmp_path / "d"


@pytest.mark.parametrize("wrapper", ["reference", "venv", ".venv", "node_modules", ".hidden"])
def test_a_wrapper_folder_is_never_skipped_for_its_name_when_it_is_the_only_candidate(tmp_path, wrapper):
    make_sub(tmp_path / "alice" / wrapper)
    assert find_submission_root(tmp_path / "alice") == tmp_path / "alice" / wrapper
    make_sub(tmp_path / "alice" / "mine")  # another candidate: the unlikely name gives way
    assert find_submission_root(tmp_path / "alice") == tmp_path / "alice" / "mine"


def test_a_likely_candidate_deeper_down_wins_over_an_unlikely_one(tmp_path):
    make_sub(tmp_path / "bob" / "venv")
    make_sub(tmp_path / "bob" / "repo-main" / "student_template")
    assert find_submission_root(tmp_path / "bob") == tmp_path / "bob" / "repo-main" / "student_template"


def test_discover_folder_of_folders_and_zips(tmp_path):
    src = tmp_path / "src"
    make_sub(src / "alice")
    make_sub(src / "bob smith")
    zip_of(src / "carol.zip", {"carol/micrograd/__init__.py": "", "carol/micrograd/engine.py": "x = 1\n"})
    (src / "dave.zip").write_bytes(b"garbage")
    (src / "index.html").write_text("<html>")  # LMS clutter, not a submission
    (src / ".hidden").mkdir()
    subs = discover(src, tmp_path / "work")
    assert [s.name for s in subs] == ["alice", "bob_smith", "carol", "dave"]
    by = {s.name: s for s in subs}
    assert by["alice"].path == src / "alice" and by["alice"].problem is None
    assert (by["carol"].path / "micrograd" / "engine.py").read_text() == "x = 1\n"
    assert by["carol"].path.is_relative_to(tmp_path / "work")
    assert by["dave"].path is None and by["dave"].problem.startswith("bad_zip: not a valid zip")


def test_discover_zip_of_a_folder_and_name_clashes(tmp_path):
    z = zip_of(tmp_path / "export.zip", {
        "export/alice/micrograd/engine.py": "a", "export/Alice.zip": b"not a zip", "export/bob/micrograd/engine.py": "b"})
    subs = discover(z, tmp_path / "work")
    # one report each, even on a case-blind disk
    assert [s.name for s in subs] == [f"Alice~{_h('Alice.zip')}", f"alice~{_h('alice')}", "bob"]
    assert [s.source for s in subs] == ["Alice.zip", "alice", "bob"]
    assert sum(s.problem is not None for s in subs) == 1


def _h(entry: str) -> str:
    return hashlib.sha256(entry.encode()).hexdigest()[:12]


def test_colliding_names_are_renamed_stably_from_their_own_entry(tmp_path):
    """ALICE.zip, Alice and alice: each renamed from its own entry name, whatever else is in
    SRC, so neither a new upload nor the listing order moves a report to another row."""
    src = tmp_path / "src"
    src.mkdir()
    for entry in COLLIDING_UPLOADS:
        if entry.endswith(".zip"):
            zip_of(src / entry, {"micrograd/engine.py": "z"})
        else:
            make_sub(src / entry)
    first = {s.source: s.name for s in discover(src, tmp_path / "w1")}
    assert first == {"ALICE.zip": f"ALICE~{_h('ALICE.zip')}", "Alice": f"Alice~{_h('Alice')}",
                     "alice": f"alice~{_h('alice')}"}
    make_sub(src / "aaron")
    make_sub(src / f"alice~{_h('alice')}")  # an upload named like a renamed entry lands on its own row
    second = {s.source: s.name for s in discover(src, tmp_path / "w2")}
    assert {k: second[k] for k in first} == first
    assert second[f"alice~{_h('alice')}"] == f"alice_{_h('alice')}"
    assert len(set(second.values())) == len(second)


def test_the_gradebook_keeps_the_entry_name_in_a_source_column(tmp_path):
    outcomes = [("Alice~x", fake_report(2, 3), None), ("bob", None, "bad_zip: broken")]
    write_gradebook(tmp_path / "g.csv", outcomes, ["m1", "m2"], sources={"Alice~x": "Alice.zip"})
    rows = read_csv(tmp_path / "g.csv")
    assert [(r["submission"], r["source"]) for r in rows] == [("Alice~x", "Alice.zip"), ("bob", "bob")]


@pytest.mark.parametrize("make,expected", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: (p / "notes.txt").write_text("x") and p / "notes.txt", "not a .zip"),
    (lambda p: (p / "class.zip").write_bytes(b"nope") and p / "class.zip", "cannot unpack"),
])
def test_discover_unusable_source(tmp_path, make, expected):
    with pytest.raises(SourceError, match=expected):
        discover(make(tmp_path), tmp_path / "work")


# --- gradebook, summary, plot, cache (with hand-made reports) ------------------------

def fake_report(score_m1, score_m2, sha="cd" * 32, seed=7, status="complete"):
    from test_export import make_report
    from test_export import check as chk
    return make_report([chk("test_a", "m1", score_m1, 2, "passed" if score_m1 == 2 else "failed"),
                        chk("test_b", "m2", score_m2, 3, "passed" if score_m2 == 3 else "failed")],
                       submission={"path": "/x", "sha256": sha}, seed=seed, status=status)


def test_gradebook_summary_and_plot(tmp_path):
    outcomes = [("bob", fake_report(2, 0), None), ("alice", fake_report(2, 3), None),
                ("carol", None, "bad_zip: not a valid zip file")]
    write_gradebook(tmp_path / "grades.csv", outcomes, ["m1", "m2"])
    text = (tmp_path / "grades.csv").read_text()
    assert text.splitlines()[0] == "submission,score,max_score,m1,m2,status,integrity,source"
    assert read_csv(tmp_path / "grades.csv") == [
        {"submission": "alice", "score": "5", "max_score": "5", "m1": "2", "m2": "3", "status": "complete",
         "integrity": "", "source": "alice"},
        {"submission": "bob", "score": "2", "max_score": "5", "m1": "2", "m2": "0", "status": "complete",
         "integrity": "", "source": "bob"},
        {"submission": "carol", "score": "", "max_score": "", "m1": "", "m2": "", "status": "bad_zip: not a valid zip file",
         "integrity": "", "source": "carol"},
    ]
    st = stats(outcomes, ["m1", "m2"])
    assert (st["graded"], st["not_graded"], st["scores"]) == (2, 1, [2, 5])
    assert st["milestones"]["m1"]["pass_rate"] == 1.0 and st["milestones"]["m2"]["pass_rate"] == 0.5
    write_summary_png(tmp_path / "summary.png", st)
    assert (tmp_path / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _key(**changed):
    from micrograde.grading_key import grading_key
    settings = dict(seed=7, milestones=["m2", "m1"], limits=Limits().to_dict(), integrity_policy="report",
                    layout_file=None, course="")
    return grading_key(**{**settings, **changed})


def test_cache_reuses_only_a_matching_complete_report(tmp_path):
    from micrograde.report import write_report
    path = tmp_path / "r.json"
    assert cache.reusable_report(path, ("x",)) is None
    write_report({**fake_report(2, 3, sha="cd" * 32, seed=7), "grading_key": _key()}, path)
    key = cache.wanted_key("cd" * 32, _key(milestones=["m1", "m2"]))
    assert cache.reusable_report(path, key) is not None
    assert cache.reusable_report(path, cache.wanted_key("ef" * 32, _key())) is None  # the submission changed
    write_report(fake_report(2, 3, sha="cd" * 32, seed=7), path)  # an older kit's report: no key
    assert cache.reusable_report(path, key) is None
    write_report({**fake_report(2, 3, status="incomplete"), "grading_key": _key()}, path)
    assert cache.reusable_report(path, key) is None
    path.write_text("{truncated")
    assert cache.reusable_report(path, key) is None


def test_every_setting_that_decides_a_grade_changes_the_cache_key(tmp_path):
    layout = tmp_path / "layout.json"
    layout.write_text('{"Value": "engine.py:Value"}')
    other = tmp_path / "other.json"
    other.write_text('{"Value": "autograd.py:Value"}')
    keys = [_key(), _key(seed=8), _key(milestones=["m1"]), _key(limits=Limits(memory_mb=400).to_dict()),
            _key(integrity_policy="zero"), _key(layout_file=layout), _key(layout_file=other), _key(course="ab" * 32)]
    assert len(set(keys)) == len(keys)
    # the layout file counts by its content, not its path
    same = tmp_path / "same.json"
    same.write_bytes(layout.read_bytes())
    assert _key(layout_file=same) == _key(layout_file=layout)


def test_the_kit_digest_covers_the_specs(tmp_path, monkeypatch):
    from micrograde import grading_key
    from micrograde.spec import SPECS_DIR
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    monkeypatch.setattr(grading_key, "SPECS_DIR", specs)
    grading_key.kit_digest.cache_clear()
    try:
        before = grading_key.kit_digest()
        rubric = specs / "rubric.json"
        rubric.write_text(rubric.read_text().replace('": 1,', '": 2,', 1))
        grading_key.kit_digest.cache_clear()
        assert grading_key.kit_digest() != before  # a point moved: every report is stale
    finally:
        grading_key.kit_digest.cache_clear()


# --- CLI errors ----------------------------------------------------------------------

def test_batch_cli_errors(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in cli_error_line(capsys, "batch")
    (tmp_path / "class.zip").write_bytes(b"broken")
    assert main(["batch", str(tmp_path / "class.zip"), "--out", str(tmp_path / "out")]) == 2
    assert "cannot unpack" in cli_error_line(capsys, "batch")
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "no submissions" in cli_error_line(capsys, "batch")
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "empty" / "out")]) == 2
    assert "inside SRC" in cli_error_line(capsys, "batch")
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--jobs", "0"]) == 2
    assert "--jobs" in cli_error_line(capsys, "batch")
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--milestone", "m9"]) == 2
    assert "invalid choice: 'm9'" in capsys.readouterr().err


# --- real batches (grading engine) ---------------------------------------------------

def class_folder(root: Path) -> Path:
    """Two submissions that grade differently on m1, and one broken zip."""
    shutil.copytree(REFERENCE, root / "alice" / "micrograd")
    (root / "bob" / "micrograd").mkdir(parents=True)
    (root / "bob" / "micrograd" / "__init__.py").write_text("")
    (root / "bob" / "micrograd" / "engine.py").write_text("class Value:\n    pass\n")
    (root / "carol.zip").write_bytes(b"PK\x03\x04 truncated upload")
    return root


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, Path("export") / p.relative_to(folder))
    return target


def test_batch_folder_and_zip_give_identical_gradebooks_and_reruns_reuse(tmp_path, capsys):
    src = class_folder(tmp_path / "class")
    out1, out2 = tmp_path / "out-folder", tmp_path / "out-zip"
    assert main(["batch", str(src), "--out", str(out1), "--milestone", "m1", "--jobs", "2", "--no-progress"]) == 0
    first = capsys.readouterr()
    assert "3 submissions: 0 up to date, 2 to grade, 1 cannot be graded" in first.err
    assert "graded" in first.out  # the summary table
    assert main(["batch", str(zip_folder(src, tmp_path / "class.zip")), "--out", str(out2), "--milestone", "m1",
                 "--jobs", "2", "--no-progress"]) == 0
    assert (out1 / "grades.csv").read_text() == (out2 / "grades.csv").read_text()

    rows = {r["submission"]: r for r in read_csv(out1 / "grades.csv")}
    assert list(read_csv(out1 / "grades.csv")[0]) == ["submission", "score", "max_score", "m1", "status", "integrity", "source"]
    assert rows["alice"]["status"] == "complete" and rows["alice"]["score"] == rows["alice"]["max_score"]
    assert rows["bob"]["status"] == "complete" and float(rows["bob"]["score"]) < float(rows["bob"]["max_score"])
    assert rows["carol"]["score"] == "" and rows["carol"]["status"].startswith("bad_zip:")
    from micrograde.report import load_report
    assert {p.name for p in (out1 / "reports").iterdir()} == {"alice.json", "bob.json"}
    for p in (out1 / "reports").iterdir():
        load_report(p)  # schema-valid
    assert (out1 / "summary.png").read_bytes()[:4] == b"\x89PNG"

    # unchanged re-run: nothing regraded; then change bob: only bob regraded
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out1 / "reports").iterdir()}
    capsys.readouterr()
    assert main(["batch", str(src), "--out", str(out1), "--milestone", "m1", "--no-progress"]) == 0
    assert "3 submissions: 2 up to date, 0 to grade" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in (out1 / "reports").iterdir()} == mtimes
    (src / "bob" / "micrograd" / "engine.py").write_text("class Value:\n    pass  # changed\n")
    assert main(["batch", str(src), "--out", str(out1), "--milestone", "m1", "--no-progress"]) == 0
    assert "3 submissions: 1 up to date, 1 to grade" in capsys.readouterr().err
    assert (out1 / "reports" / "alice.json").stat().st_mtime_ns == mtimes["alice.json"]
    assert (out1 / "reports" / "bob.json").stat().st_mtime_ns != mtimes["bob.json"]


def test_a_relative_out_folder_works_as_an_absolute_one(tmp_path, monkeypatch):
    """An instructor types `--out out`: each grading runs in a private folder of its own,
    where that path would name another folder (every log and report would go missing)."""
    src = class_folder(tmp_path / "class")
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "class", "--out", "out", "--milestone", "m1", "--jobs", "1", "--no-progress"]) == 0
    rows = {r["submission"]: r for r in read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["alice"]["status"] == "complete" and rows["alice"]["score"] == rows["alice"]["max_score"]
    assert (tmp_path / "out" / "logs" / "alice.log").read_text().strip(), "the grading's log is in OUT/logs"
    assert src.exists()


def _arguments(proc: Path) -> bytes:
    """A process's command line, with the argument files it names (`@FILE`) read in: the
    kit passes its paths to its children in such files, not on the command line."""
    argv = (proc / "cmdline").read_bytes().split(b"\0")
    for arg in argv:
        if arg.startswith(b"@"):
            try:
                argv.append(Path(os.fsdecode(arg[1:])).read_bytes())
            except OSError:
                pass
    return b"\0".join(argv)


def _running_with(text: str) -> list:
    """Processes whose arguments mention `text` (here: this test's own temp folder)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text.encode() in _arguments(proc):
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def _complete_reports(out: Path) -> dict:
    from micrograde.errors import ReportError
    from micrograde.report import load_report
    done = {}
    for p in out.glob("reports/*.json"):
        try:
            if load_report(p)["status"] == "complete":
                done[p.name] = p.stat().st_mtime_ns
        except ReportError:
            pass
    return done


def test_killed_batch_resumes_without_regrading(tmp_path):
    src = tmp_path / "class"
    for name in ("s1", "s2", "s3"):
        shutil.copytree(REFERENCE, src / name / "micrograd")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "micrograde", "batch", str(src), "--out", str(out), "--milestone", "m1",
           "--jobs", "1", "--no-progress"]
    # A session of its own, so the kill reaches the whole batch as closing its terminal would.
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not _complete_reports(out):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no report appeared"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # A grading run already under way may still finish on its own; let it, so what is
    # on disk no longer changes before the re-run.
    while _running_with(str(out)):
        assert time.monotonic() < deadline, "grading processes outlived the batch"
        time.sleep(0.1)
    done = _complete_reports(out)
    assert 1 <= len(done) < 3
    assert not (out / "grades.csv").exists()

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"3 submissions: {len(done)} up to date, {3 - len(done)} to grade" in rerun.stderr
    for name, mtime in done.items():
        assert (out / "reports" / name).stat().st_mtime_ns == mtime
    rows = read_csv(out / "grades.csv")
    assert [r["submission"] for r in rows] == ["s1", "s2", "s3"]
    assert len({(r["score"], r["m1"]) for r in rows}) == 1 and rows[0]["status"] == "complete"
