"""As root in a container without CAP_SYS_ADMIN (Gradescope's Docker), the worker's private
namespaces and minimal root are refused: grading goes on with what isolation is left, and
the report says so once. Simulated with capsh dropping CAP_SYS_ADMIN from the grader."""
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from corpus import REFERENCE
from micrograde.report import validate_report

CAPSH = shutil.which("capsh") or next((p for p in ("/usr/sbin/capsh", "/sbin/capsh") if os.path.exists(p)), None)
DEGRADED = "isolation degraded"

needs_root_and_capsh = pytest.mark.skipif(os.geteuid() != 0 or CAPSH is None,
                                          reason="needs root and capsh (libcap2-bin)")


def _without_cap_sys_admin(argv, **kwargs):
    command = " ".join(shlex.quote(a) for a in argv)
    return subprocess.run([CAPSH, "--drop=cap_sys_admin", "--", "-c", command],
                          capture_output=True, text=True, timeout=300, **kwargs)


def _grade_m1(report_path, drop_cap_sys_admin: bool):
    argv = [sys.executable, "-m", "micrograde", "grade", str(REFERENCE), "--milestone", "m1", "--json", str(report_path)]
    if drop_cap_sys_admin:
        result = _without_cap_sys_admin(argv)
    else:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    validate_report(report)
    return result, report


@needs_root_and_capsh
def test_reference_gets_full_marks_and_a_degraded_note_without_cap_sys_admin(tmp_path):
    refused = _without_cap_sys_admin(["unshare", "-m", "true"])
    assert refused.returncode != 0, "capsh did not take CAP_SYS_ADMIN away: this test would prove nothing"
    result, report = _grade_m1(tmp_path / "r.json", drop_cap_sys_admin=True)
    assert report["status"] == "complete"
    assert report["score"] == report["max_score"] > 0
    assert DEGRADED in report["note"] and "Operation not permitted" in report["note"]
    assert result.stdout.count(DEGRADED) == 1, result.stdout  # said once, not per check or per worker


@needs_root_and_capsh
def test_degraded_worker_still_runs_as_a_uid_of_its_own():
    code = ("from micrograde.worker import Sandbox, isolation; from micrograde.probes.names import ENGINE_CONSTRUCT\n"
            f"with Sandbox({str(REFERENCE)!r}) as s:\n"
            "    s.call(ENGINE_CONSTRUCT, 'Value(1.0)', data=1.0)\n"
            "    print(isolation.available().minimal_root, s.worker_uid)")
    result = _without_cap_sys_admin([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    minimal_root, uid = result.stdout.split()
    assert minimal_root == "False" and int(uid) not in (0, os.getuid())


def test_nothing_is_reported_degraded_where_the_sandbox_is_allowed(tmp_path):
    if os.geteuid() == 0 and subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("this machine itself refuses namespaces")
    result, report = _grade_m1(tmp_path / "r.json", drop_cap_sys_admin=False)
    assert report["score"] == report["max_score"] > 0
    assert DEGRADED not in report.get("note", "") and DEGRADED not in result.stdout


@needs_root_and_capsh
def test_a_degraded_worker_can_neither_read_the_run_in_progress_nor_leave_anything_behind(tmp_path):
    import tempfile
    import uuid
    import zlib

    from corpus import patched_reference
    from hostile import LEAVE_FILES_BEHIND, READ_THE_REPORT, SHM_LEFT_BEHIND, at_engine_end
    from micrograde.worker import sweep

    token = f"micrograde-degraded-{uuid.uuid4().hex[:12]}"
    # a folder any uid may pass through, as an instructor's output folder often is
    out = tempfile.mkdtemp(prefix="micrograde-degraded-")
    os.chmod(out, 0o755)
    report_path = os.path.join(out, "report.json")
    attack = "\n".join([READ_THE_REPORT.replace("__REPORT__", report_path),
                        LEAVE_FILES_BEHIND.replace("__DROP__", f"/nowhere/{token}"),
                        SHM_LEFT_BEHIND.replace("__DROP__", token)])
    submission = patched_reference(tmp_path / "s", [at_engine_end(attack)])
    os.chmod(tmp_path, 0o755)
    try:
        argv = [sys.executable, "-m", "micrograde", "grade", str(submission), "--milestone", "m1", "--json", report_path]
        result = _without_cap_sys_admin(argv)
        assert result.returncode == 0, result.stderr
        report = json.loads(open(report_path).read())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    validate_report(report)
    output = "".join(t.get("output", "") for t in report["tests"])
    # (the worker's audit hook may refuse the segments' ctypes calls: then none were made)
    assert "report refused" in output and "report read" not in output, output[:2000]
    left = [os.path.join(folder, name) for folder in sweep.SHARED if os.path.isdir(folder)
            for name in os.listdir(folder) if token in name]
    keys = {(zlib.crc32(token.encode()) + i) & 0x7fffffff for i in range(3)}
    segments = []
    with open("/proc/sysvipc/shm") as f:
        next(f)
        segments = [line for line in f if int(line.split()[0]) in keys]
    assert left == [] and segments == [], (left, segments)
    assert "disk_mb" not in report["enforcement"]["not_enforced"]


@needs_root_and_capsh
def test_a_degraded_worker_has_one_disk_limit_for_all_its_files_wherever_they_are(tmp_path):
    """No sized tmpfs without namespaces: the watchdog counts every file of the worker's
    uid (its scratch, /tmp, /dev/shm) against disk_mb, and kills it past the limit."""
    from corpus import patched_reference
    from hostile import at_function_start

    fill = """
import os as _os
for _i in range(12):
    for _folder in ("/tmp", "/dev/shm", "."):
        try:
            with open(_os.path.join(_folder, f"mg-filler-{_os.getpid()}-{_i}"), "wb") as _f:
                _f.write(b"x" * (4 << 20))   # 4 MB, far under the per-file limit
        except OSError:
            pass
import time as _time
_time.sleep(5)
"""
    submission = patched_reference(tmp_path / "s", [at_function_start("nn", "def zero_grad(self):", fill)])
    os.chmod(tmp_path, 0o755)
    code = ("from micrograde.worker import Sandbox; from micrograde.worker.limits import Limits\n"
            "from micrograde.errors import WorkerCrashed\n"
            f"with Sandbox({str(submission)!r}, Limits(disk_mb=32, probe_timeout_s=20)) as s:\n"
            "    try:\n"
            "        s.call('nn.zero_grad', 'zero_grad', nin=2, nouts=[2, 1], seed=1)\n"
            "        print('ANSWERED')\n"
            "    except WorkerCrashed as e:\n"
            "        print('CRASHED', e)\n"
            "    print('UID', s.uid)\n")
    result = _without_cap_sys_admin([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    assert "CRASHED" in result.stdout and "disk limit of 32 MB" in result.stdout, result.stdout
    uid = int(result.stdout.split("UID")[1].split()[0])
    from micrograde.worker import sweep
    assert sweep.owned_bytes(uid) == 0  # and nothing of it is left
