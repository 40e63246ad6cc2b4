"""The worker's audit hook (worker/audit.py): refuses what reaches past the submission's own
objects, and costs honest code nothing.

The hook cannot be removed once added, so its unit checks run in a child interpreter;
the honest-code check grades a submission through the real path.
"""
import json
import subprocess
import sys
import textwrap

from corpus import grade, patched_reference
from hostile import FAST_LIMITS
from micrograde.spec import KIT_ROOT

# Each attempt runs in a function of the "submission" (a file under SUB), after the hook is in.
ATTEMPTS = {
    "sys._getframe": "sys._getframe()",
    "frame of a traceback": "tb().tb_frame",
    "frame through str.format": "'{0.tb_frame}'.format(tb())",
    "frame through Formatter.get_field": "string.Formatter().get_field('0.tb_frame', (tb(),), {})",
    "frame of a generator": "gen().gi_frame",
    "frame through inspect": "inspect.currentframe()",
    "frames of every thread": "sys._current_frames()",
    "frame handed out by logging": "logging.currentframe()",
    "frames walked by traceback": "list(traceback.walk_stack(None))",
    "frame through timeit": "timeit.timeit('import sys; sys._getframe()', number=1)",
    "frame through type hints": "typing.get_type_hints(annotated)",
    "gc.get_objects": "gc.get_objects()",
    "gc.get_referrers": "gc.get_referrers(sys)",
    "gc.get_referents": "gc.get_referents(sys)",
    "sys.settrace": "sys.settrace(None)",
    "sys.setprofile": "sys.setprofile(None)",
    "ctypes": "ctypes.string_at(id(1), 8)",
    "code.replace": "tb.__code__.replace(co_name='x')",
    "types.FunctionType": "types.FunctionType(tb.__code__, {})",
    "import the kit": "__import__('micrograde')",
    "import pytest": "__import__('pytest')",
    "import hypothesis": "__import__('hypothesis')",
    "open /proc": "open('/proc/self/status').read()",
    "open /proc through a relative path": "open('../' * 20 + 'proc/self/status').read()",
    # Not added (ZeroDivisionError: the new hook never saw the event that follows).
    "another audit hook": "[sys.addaudithook(lambda e, a: SEEN.append(e)), sys.audit('x.probe'), 1 / len(SEEN)]",
    "replace a kit function's code": "setattr(kit_class.to_frame, '__code__', tb.__code__)",
    "the kit by name": "sys.modules['micrograde.worker.protocol']",
}
# Honest uses of the same facilities, by the standard library and common packages.
HONEST = {
    "namedtuple": "collections.namedtuple('P', 'x y')(1, 2)",
    "enum": "enum.Enum('Color', 'RED GREEN').RED",
    "TypeVar": "typing.TypeVar('T')",
    "dataclass": "dataclasses.make_dataclass('D', [('a', int)])(1)",
    "logging": "logging.getLogger('x').warning('honest %s', 1)",
    "traceback.format_exc": "traceback.format_exc()",
    "traceback of an error": "traceback.format_exception(ValueError('x'))",
    "warnings": "warnings.warn('honest')",
    "numpy": "float(numpy.tanh(numpy.float64(0.5)) + numpy.arange(3).sum())",
    "random": "random.Random(3).random()",
    "math": "math.tanh(0.5)",
    "graphviz": "graphviz.Digraph().source",
    "tqdm": "sum(tqdm.tqdm(range(3), disable=False, mininterval=0))",
    "a code object read": "tb.__code__.co_name",
    "open a file of its own": "open('own.txt', 'w').write('x')",
}

CHILD = """
import collections, dataclasses, enum, gc, inspect, json, logging, math, random, string, sys, timeit
import traceback, types, typing, warnings, ctypes
import numpy, graphviz, tqdm
from micrograde.worker import audit, protocol
kit_class = protocol.Request
hidden = audit.hide_kit()
audit.install(SUB, kit_modules=hidden.values())
sys.path.insert(0, SUB)
import attempts
print(json.dumps(attempts.run()))
"""

ATTEMPTS_MODULE = """
import collections, dataclasses, enum, gc, inspect, logging, math, random, string, sys, timeit
import traceback, types, typing, warnings, ctypes
import numpy, graphviz, tqdm
from micrograde_kit_class import kit_class

SEEN = []


def tb():
    try:
        raise ValueError("x")
    except ValueError as e:
        return e.__traceback__


def gen():
    yield 1


def annotated(x: "__import__('sys')._getframe()"):
    pass


def run():
    out = {}
    for name, code in CASES.items():
        try:
            eval(code)
            out[name] = "allowed"
        except Exception as e:
            out[name] = type(e).__name__
    return out
"""


def _outcomes(tmp_path, cases: dict) -> dict:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "attempts.py").write_text(ATTEMPTS_MODULE + f"\nCASES = {cases!r}\n")
    # The kit class handed to the submission as a plain module attribute, as any object could be.
    (sub / "micrograde_kit_class.py").write_text("kit_class = None\n")
    script = CHILD.replace("SUB", repr(str(sub))).replace(
        "import attempts", "import micrograde_kit_class; micrograde_kit_class.kit_class = kit_class\nimport attempts")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120,
                          cwd=sub, env={"PYTHONPATH": str(KIT_ROOT / "graders"), "PATH": "/usr/bin:/bin",
                                        "MPLBACKEND": "Agg", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_way_past_the_submissions_own_objects_is_refused(tmp_path):
    outcomes = _outcomes(tmp_path, ATTEMPTS)
    allowed = {name: result for name, result in outcomes.items()
               if result not in ("Refused", "KeyError", "ZeroDivisionError")}
    assert allowed == {}, f"not refused: {allowed}"


def test_honest_uses_of_the_same_facilities_are_allowed(tmp_path):
    outcomes = _outcomes(tmp_path, HONEST)
    refused = {name: result for name, result in outcomes.items() if result != "allowed"}
    assert refused == {}, f"honest code refused: {refused}"


# Honest code that leans on the standard library and common packages at import and in
# training: numpy in the engine, namedtuple/enum/dataclasses/typing/logging at import, a tqdm
# progress bar (a monitor thread) and logging in train(), matplotlib and graphviz as shipped.
HONEST_ENGINE_HEADER = '''import math
import collections
import dataclasses
import enum
import logging
import typing

import numpy as np

_log = logging.getLogger(__name__)
Pair = collections.namedtuple("Pair", "data grad")
Kind = enum.Enum("Kind", "LEAF OP")
T = typing.TypeVar("T")


@dataclasses.dataclass
class Settings:
    eps: float = float(np.finfo(np.float64).eps)
'''
HONEST_TRAIN = '''    from tqdm import tqdm
    import logging
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    history = []
    for _ in tqdm(range(epochs), mininterval=0, miniters=1):
        predictions = [model(x) for x in xs]
        loss = loss_fn(predictions, ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(float(loss.data))
    logging.getLogger(__name__).info("trained %d epochs", epochs)
    return history
'''


def test_honest_code_with_numpy_tqdm_logging_and_the_stdlib_gets_full_marks_and_no_finding(tmp_path):
    sub = patched_reference(tmp_path / "honest", [
        ("engine", "import math\n", HONEST_ENGINE_HEADER),
        ("train", '''    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        predictions = [model(x) for x in xs]
        loss = loss_fn(predictions, ys)
        # Zero before backward(): gradients accumulate, so last epoch's would leak in.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(float(loss.data))
    return history
''', HONEST_TRAIN)])
    report = grade(sub, tmp_path / "r.json", milestones=["m1", "m4"], limits={**FAST_LIMITS, "run_timeout_s": 240})
    lost = {t["name"]: t["feedback"][:300] for t in report["tests"] if t["score"] < t["max_score"]}
    assert lost == {} and report["integrity"] == [], (lost, report["integrity"])
