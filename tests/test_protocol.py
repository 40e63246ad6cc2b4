"""The worker protocol: every message type survives its frame, garbage is refused, and
probe names are written once (probes/names.py), never as raw strings in the graders."""
import ast
import json
from pathlib import Path

import pytest

from micrograde.errors import ProtocolError
from micrograde.probes import names
from micrograde.probes.registry import load_probes
from micrograde.untrusted import TEXT_CAP, capped, needs_capping
from micrograde.worker import protocol as p

GRADERS = Path(names.__file__).resolve().parents[2]
NAMES = {v for k, v in vars(names).items() if k.isupper()}

MESSAGES = [
    p.Ready(pid=12, uid=1000), p.StartFailed("OSError: no"), p.Importing("micrograd.engine"),
    p.Imported("micrograd.engine"), p.Answer({"values": [1.0, 2.5]}), p.Answer(None),
    p.NameMissing("micrograd.engine.Value.relu", "write it in micrograd/engine.py (milestone M2)"),
    p.NotImplementedYet(p.Failure("NotImplementedError", "M2: relu", [])),
    p.Raised(p.Failure("ZeroDivisionError", "division by zero", ['  File "micrograd/engine.py", line 3, in f'])),
    p.KitFault("engine.Tensor is not in specs/contract.json"),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_survives_its_json_frame(message):
    frame = json.loads(json.dumps(message.to_frame()))
    assert p.message_from_frame(frame) == message


def test_a_request_survives_its_frame_and_garbage_is_refused():
    request = p.Request(names.ENGINE_REPR, {"data": 1.0, "grad": 0.0})
    assert p.Request.from_frame(json.loads(json.dumps(request.to_frame()))) == request
    for garbage in (None, [], {"args": {}}, {"probe": 3}, {"probe": "engine.repr", "args": [1]}):
        with pytest.raises(ProtocolError):
            p.Request.from_frame(garbage)
    for garbage in (None, [1], {}, {"answer": 1}, {"error": "not an object"}):
        with pytest.raises(ProtocolError):
            p.message_from_frame(garbage)


def test_a_submission_exception_named_kiterror_is_still_the_submissions():
    frame = p.Raised(p.Failure("KitError", "forged")).to_frame()
    assert isinstance(p.message_from_frame(frame), p.Raised)


def test_the_probe_names_are_exactly_the_registered_probes():
    assert set(load_probes()) == NAMES


def test_no_grader_names_a_probe_with_a_raw_string():
    raw = []
    for path in sorted(GRADERS.glob("m*/*.py")) + [GRADERS / "micrograde" / "expect.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in NAMES:
                raw.append(f"{path.relative_to(GRADERS)}:{node.lineno} {node.value!r}")
    assert raw == []


@pytest.mark.parametrize("answer", [
    {"values": [2.0, -3.0], "grads": [1.0, 1.0]}, "Value(data=2.5, grad=0.75)", None, 1.5, [],
    {"x" * 60_000: "y" * 4_000}, "é" * 10_000, [[[[1]]]] * 16,
])
def test_an_answer_taken_as_decoded_is_what_capping_would_give(answer):
    text = json.dumps({"ok": answer, "seq": 3}).encode()
    if not needs_capping(text):
        assert capped(json.loads(text)) == json.loads(text)


@pytest.mark.parametrize("text", [
    json.dumps({"ok": "y" * (TEXT_CAP + 1)}).encode(),  # a string to cut
    b"[" * 600 + b"]" * 600,  # nested deeper than capped() may be able to walk
    json.dumps({"ok": [{"a": [1]}] * 40}).encode(),
])
def test_an_answer_that_may_need_capping_is_capped(text):
    assert needs_capping(text)
