"""`micrograde batch --scheduler`: grading on a real Dask cluster (a scheduler and worker
processes on 127.0.0.1, started and stopped here) gives the local pool's gradebook,
survives killed workers and a killed client, and refuses workers with another kit.
Without the `distributed` extra those tests are skipped; the ones that check the batch
never needs Dask run always."""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

from corpus import cli_error_line
from micrograde import __version__
from micrograde.cli import main

KIT = Path(__file__).resolve().parents[1]
REFERENCE = KIT / "reference" / "micrograd"
needs_dask = pytest.mark.skipif(find_spec("distributed") is None,
                                reason='needs the distributed extra: pip install -e ".[distributed]"')
OTHER_VERSION = "0.0.0+other"


def read_csv(path):
    return list(csv.DictReader(io.StringIO(Path(path).read_text())))


def make_class(root: Path, n_refs=1) -> Path:
    """Reference copies (full marks), bob (no marks), erin.zip (a zipped reference copy)
    and carol.zip (broken): every kind of gradebook row."""
    for i in range(n_refs):
        shutil.copytree(REFERENCE, root / ("alice" if i == 0 else f"ref{i}") / "micrograd")
    # Bytecode a student's machine wrote, which a cluster's copy never carries: the reports
    # must not differ for it.
    (root / "alice" / "micrograd" / "__pycache__").mkdir(exist_ok=True)
    (root / "alice" / "micrograd" / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"cache")
    (root / "bob" / "micrograd").mkdir(parents=True)
    (root / "bob" / "micrograd" / "__init__.py").write_text("")
    (root / "bob" / "micrograd" / "engine.py").write_text("class Value:\n    pass\n")
    with zipfile.ZipFile(root / "erin.zip", "w") as zf:
        for p in sorted(REFERENCE.rglob("*.py")):
            zf.write(p, Path("erin") / "micrograd" / p.relative_to(REFERENCE))
    (root / "carol.zip").write_bytes(b"PK\x03\x04 truncated upload")
    return root


def last_error_line(capsys) -> str:
    """The error a `micrograde batch` ended with (after its progress lines)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("micrograde batch: error: "), err
    return err[-1]


def stable(report: dict, out: Path) -> dict:
    """A report without what differs between any two gradings (when, how long, and the
    OUT folder that zipped submissions are unpacked into)."""
    report = {k: v for k, v in report.items() if k not in ("created", "duration_s")}
    report["submission"] = {**report["submission"],
                            "path": report["submission"]["path"].replace(str(out.resolve()), "OUT")}
    report["tests"] = [{k: v for k, v in t.items() if k != "duration_s"} for t in report["tests"]]
    return report


def batch_cmd(src, out, *extra):
    return [sys.executable, "-m", "micrograde", "batch", str(src), "--out", str(out), "--milestone", "m1",
            "--no-progress", *extra]


# --- without a cluster -----------------------------------------------------------------

def test_scheduler_without_the_extra_is_a_one_line_error_saying_how_to_install_it(tmp_path, capsys, monkeypatch):
    make_class(tmp_path / "class")
    for name in ("distributed", "dask"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed: importing it fails
    assert main(["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                 "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert 'pip install "micrograde[distributed]"' in cli_error_line(capsys, "batch")
    assert not (tmp_path / "out" / "reports").exists()


def test_jobs_with_a_scheduler_is_a_usage_error(tmp_path, capsys):
    make_class(tmp_path / "class")
    assert main(["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--jobs", "2",
                 "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "--jobs" in cli_error_line(capsys, "batch")


def test_a_local_batch_never_imports_dask(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "carol.zip").write_bytes(b"not a zip")  # a whole batch, without grading
    code = ("import sys; from micrograde.cli import main; "
            f"assert main(['batch', {str(tmp_path / 'class')!r}, '--out', {str(tmp_path / 'out')!r}, '--no-progress']) == 0; "
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')); "
            "assert not loaded, loaded")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "grades.csv").exists()


def test_packed_submission_is_the_hashed_files_byte_for_byte_the_same_each_time(tmp_path):
    from micrograde import submission
    from micrograde.batch.distributed import pack

    sub = tmp_path / "alice"
    shutil.copytree(REFERENCE, sub / "micrograd")
    (sub / "micrograd" / "__pycache__").mkdir(exist_ok=True)
    (sub / "micrograd" / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"cache")
    payload, sha = pack(sub)
    os.utime(sub / "micrograd" / "engine.py", (0, 0))  # timestamps are not content
    assert pack(sub) == (payload, sha)
    assert sha == submission.sha256(sub)
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        assert zf.namelist() == [p.as_posix() for p in submission.files(sub)]
        assert "micrograd/__pycache__/engine.cpython-311.pyc" not in zf.namelist()


def test_workers_are_judged_by_kit_version_and_the_non_root_ones_named_in_one_warning():
    from micrograde.batch.distributed import judge_workers

    facts = {"tcp://a:1": {"kit_version": __version__, "uid": 0},
             "tcp://b:1": {"kit_version": __version__, "uid": 1000},
             "tcp://c:1": {"kit_version": OTHER_VERSION, "uid": 0},
             "tcp://d:1": ModuleNotFoundError("No module named 'micrograde'")}
    refused, accepted, warning = judge_workers(facts)
    assert accepted == ["tcp://a:1", "tcp://b:1"]
    assert f"micrograde {OTHER_VERSION}" in refused["tcp://c:1"] and f"micrograde {__version__}" in refused["tcp://c:1"]
    assert "No module named 'micrograde'" in refused["tcp://d:1"]
    assert warning.startswith("warning: 1 of 2 Dask workers do not run as root (tcp://b:1)")
    assert judge_workers({"tcp://a:1": facts["tcp://a:1"]})[2] is None


@needs_dask
def test_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys):
    import socket

    make_class(tmp_path / "class")
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                 "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in last_error_line(capsys)


# --- on a real cluster -----------------------------------------------------------------

@pytest.fixture
def cluster(tmp_path):
    from dask_cluster import Cluster

    c = Cluster(tmp_path / "cluster")
    try:
        c.start_scheduler()
        yield c
    finally:
        c.stop()


def _root():
    return os.geteuid() == 0 and shutil.which("unshare") is not None


@needs_dask
def test_cluster_batch_writes_the_local_pools_gradebook_and_reports(tmp_path, cluster, capsys):
    client_side = tmp_path / "client"
    src = make_class(client_side / "class")
    # As root, SRC and OUT are hidden from the workers: they can only grade what is sent.
    for name in ("w1", "w2"):
        cluster.add_worker(name, hide=[client_side] if _root() else ())
    cluster.wait_for_workers(2)
    local, dist = client_side / "out-local", client_side / "out-dask"
    assert main(["batch", str(src), "--out", str(local), "--milestone", "m1", "--jobs", "2", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["batch", str(src), "--out", str(dist), "--milestone", "m1", "--no-progress",
                 "--scheduler", cluster.address]) == 0
    err = capsys.readouterr().err
    assert f"scheduler {cluster.address}" in err and "2 workers" in err

    assert (dist / "grades.csv").read_bytes() == (local / "grades.csv").read_bytes()
    rows = {r["submission"]: r for r in read_csv(dist / "grades.csv")}
    assert rows["alice"]["score"] == rows["alice"]["max_score"] and rows["bob"]["score"] == "0"
    assert rows["carol"]["status"].startswith("bad_zip:")
    names = sorted(p.name for p in (local / "reports").iterdir())
    assert names == sorted(p.name for p in (dist / "reports").iterdir()) == ["alice.json", "bob.json", "erin.json"]
    for name in names:
        assert stable(json.loads((dist / "reports" / name).read_text()), dist) == \
            stable(json.loads((local / "reports" / name).read_text()), local)
        assert (dist / "logs" / name.replace(".json", ".log")).stat().st_size > 0
    assert (dist / "summary.png").read_bytes()[:4] == b"\x89PNG"
    # Nothing was written on the client's side but OUT.
    assert sorted(p.name for p in client_side.iterdir()) == ["class", "out-dask", "out-local"]


def _run_until_done(cmd, step, timeout=300):
    """Run a batch in its own session, calling `step()` every 50 ms while it runs."""
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            assert time.monotonic() < deadline, "the batch did not finish"
            step()
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    return proc.returncode, out, err


@needs_dask
def test_a_worker_killed_mid_task_is_retried_elsewhere_and_the_batch_completes(tmp_path, cluster):
    src = make_class(tmp_path / "class")
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    cluster.wait_for_workers(2)
    killed = []

    def kill_alices_worker_once():
        if not killed and (pid := cluster.grading_worker("alice")):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    code, _, err = _run_until_done(batch_cmd(src, tmp_path / "out", "--scheduler", cluster.address),
                                   kill_alices_worker_once)
    assert code == 0, err
    assert killed, "alice's grading was never seen running"
    rows = {r["submission"]: r for r in read_csv(tmp_path / "out" / "grades.csv")}
    assert [rows[n]["status"] for n in ("alice", "bob", "erin")] == ["complete"] * 3
    assert rows["alice"]["score"] == rows["alice"]["max_score"]


@needs_dask
def test_a_submission_that_kills_its_worker_three_times_is_a_grader_error(tmp_path, cluster):
    src = tmp_path / "class"
    shutil.copytree(REFERENCE, src / "alice" / "micrograd")
    shutil.copytree(REFERENCE, src / "poison" / "micrograd")
    for name in ("w1", "w2"):
        cluster.add_worker(name, tmp_name="machine-tmp")  # one machine's /tmp
    cluster.wait_for_workers(2)
    killed = []

    def kill_poisons_worker():  # as a submission that brings its worker down would
        pid = cluster.grading_worker("poison")
        if pid and pid not in killed:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    code, out, err = _run_until_done(batch_cmd(src, tmp_path / "out", "--scheduler", cluster.address),
                                     kill_poisons_worker)
    assert code == 0, err
    assert len(killed) == 3
    rows = {r["submission"]: r for r in read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["alice"]["status"] == "complete"
    assert rows["poison"]["status"].startswith("grader_error: 3 Dask workers died while grading it")
    assert "poison: grader_error" in out
    # The killed workers' task folders stay while their orphaned gradings run; once those
    # are over, the next task on the machine removes them.
    from dask_cluster import running_with
    deadline = time.monotonic() + 120
    while running_with("micrograde-task-"):
        assert time.monotonic() < deadline, "orphaned gradings still running"
        time.sleep(0.2)
    assert list(cluster.root.glob("machine-tmp/micrograde-task-*"))
    shutil.rmtree(src / "poison")
    code, _, err = _run_until_done(batch_cmd(src, tmp_path / "out2", "--scheduler", cluster.address), lambda: None)
    assert code == 0, err
    assert not list(cluster.root.glob("machine-tmp/micrograde-task-*"))


@needs_dask
def test_a_killed_cluster_client_keeps_received_reports_and_resumes(tmp_path, cluster):
    src = make_class(tmp_path / "class", n_refs=3)
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    cluster.wait_for_workers(2)
    out = tmp_path / "out"
    cmd = batch_cmd(src, out, "--scheduler", cluster.address)
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not list(out.glob("reports/*.json")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no report arrived"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    from micrograde.report import load_report
    done = {p.name: p.stat().st_mtime_ns for p in out.glob("reports/*.json")}
    assert all(load_report(out / "reports" / name)["status"] == "complete" for name in done)
    assert 1 <= len(done) < 5 and not (out / "grades.csv").exists()

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"6 submissions: {len(done)} up to date, {5 - len(done)} to grade, 1 cannot be graded" in rerun.stderr
    for name, mtime in done.items():
        assert (out / "reports" / name).stat().st_mtime_ns == mtime
    rows = read_csv(out / "grades.csv")
    assert sum(r["status"] == "complete" for r in rows) == 5


def _kit_with_version(root: Path, version: str) -> Path:
    """A copy of this kit that says it is `version`, to put first on a worker's path."""
    shutil.copytree(KIT / "graders" / "micrograde", root / "micrograde",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = root / "micrograde" / "__init__.py"
    assert f'__version__ = "{__version__}"' in init.read_text()
    init.write_text(init.read_text().replace(f'__version__ = "{__version__}"', f'__version__ = "{version}"'))
    return root


@needs_dask
def test_a_worker_with_another_kit_version_is_refused_naming_both_versions(tmp_path, cluster, capsys):
    src = make_class(tmp_path / "class")
    other = _kit_with_version(tmp_path / "other-kit", OTHER_VERSION)
    cluster.add_worker("old", env={"PYTHONPATH": str(other)})
    cluster.wait_for_workers(1)
    assert main(["batch", str(src), "--out", str(tmp_path / "out"), "--milestone", "m1", "--no-progress",
                 "--scheduler", cluster.address]) == 2
    line = last_error_line(capsys)
    assert "no usable worker" in line and OTHER_VERSION in line and __version__ in line
    assert not (tmp_path / "out" / "reports").exists()

    cluster.add_worker("new")
    cluster.wait_for_workers(2)
    assert main(["batch", str(src), "--out", str(tmp_path / "out"), "--milestone", "m1", "--no-progress",
                 "--scheduler", cluster.address]) == 0
    err = capsys.readouterr().err
    refusals = [line for line in err.splitlines() if line.startswith("refusing Dask worker")]
    assert len(refusals) == 1
    assert f"micrograde {OTHER_VERSION}" in refusals[0] and f"micrograde {__version__}" in refusals[0]
    rows = read_csv(tmp_path / "out" / "grades.csv")
    assert sum(r["status"] == "complete" for r in rows) == 3, (rows, err)

