"""What the grader and the worker say to each other, and how it travels.

Messages travel as length-prefixed JSON frames over the worker's private pipes: plain data
only, in both directions. Both ends build and read them only through the types below, so
the shape of every message is written once, here.

Grader -> worker: one `Request` per probe.
Worker -> grader: `Ready` (or `StartFailed`) once at start; then, for each request, any
number of `Importing`/`Imported` events (so a timeout can name the import that hung)
followed by exactly one reply: `Answer`, `NameMissing`, `NotImplementedYet`, `Raised` or
`KitFault`. A frame that is none of these is garbage: the grader kills the worker.
Exceptions the submission raises are `Raised` whatever their class is called; only the
kit's own probe code sends `KitFault`, so a submission cannot pose as a fault of the kit.

Every request frame also carries `seq`, which the grader counts up, and every reply frame
echoes it, with `tampering`: what the worker's own loop found changed in the kit's code
and state (worker/watch.py), and `refused`: the operations its audit hook refused since the
last reply (worker/audit.py), each with the submission's file and line. A reply that does
not echo its request was not sent by that loop: the grader records all three as runtime
integrity evidence.

This module runs in the worker too: standard library, micrograde.errors and the platform
layer (worker/facilities.py, which knows how to wait on a pipe here) only.
"""
import hashlib
import hmac
import json
import os
import struct
import time
from dataclasses import dataclass, field

from ..errors import ProtocolError
from .facilities import pipe_bytes, read_ready, wait_readable

SEQ = "seq"
TAMPERING = "tampering"
REFUSED = "refused"
SEAL = "seal"
HEADER = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024
# What json.dumps(obj, allow_nan=True, separators=(",", ":")) builds on every call.
_ENCODER = json.JSONEncoder(allow_nan=True, separators=(",", ":"))


def seal(key: bytes, seq) -> str:
    """What the worker's own loop puts on its reply to request `seq`: keyed by a secret the
    grader sent in the configuration, which only that loop holds (a local of its frame, out
    of reach once frames and the heap are refused, worker/audit.py). Code that writes a
    reply to the protocol's descriptor itself cannot seal it."""
    return hmac.new(key, f"reply {seq}".encode(), hashlib.sha256).hexdigest()[:32]


def encode(obj) -> bytes:
    data = _ENCODER.encode(obj).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise ProtocolError(f"answer of {len(data)} bytes is larger than {MAX_FRAME}")
    return HEADER.pack(len(data)) + data


def send(fd: int, obj) -> None:
    view = memoryview(encode(obj))
    while view:
        view = view[os.write(fd, view):]


def _read_exact_blocking(fd: int, n: int) -> bytes:
    chunks, need = [], n
    while need:
        chunk = os.read(fd, need)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        need -= len(chunk)
    return b"".join(chunks)


def recv_blocking(fd: int):
    (size,) = HEADER.unpack(_read_exact_blocking(fd, HEADER.size))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes")
    return json.loads(_read_exact_blocking(fd, size))


class FrameReader:
    """Reads frames with a deadline; the grader never blocks on an untrusted process.

    While it waits it also drains `output_fd` (what the worker prints) into `on_output`,
    so that a worker that prints a lot never waits on a full pipe; and when a frame is
    complete it takes what is already in that pipe, which holds everything printed before
    the frame was sent: the output of a probe always goes with the probe's answer.
    """

    def __init__(self, fd: int, output_fd: int | None = None, on_output=None):
        self.fd = fd
        self.buffer = bytearray()
        self.last = b""  # the JSON text of the last frame read
        self.output_fd = output_fd
        self.on_output = on_output

    def _drain_once(self) -> bool:
        """Read what the output pipe holds; False once it is closed."""
        chunk = read_ready(self.output_fd, 1 << 20)
        if not chunk:
            self.output_fd = None
            return False
        self.on_output(chunk)
        return True

    def drain(self) -> None:
        """Take what the output pipe holds now: no more, so that a process of the
        submission that keeps printing cannot keep us here."""
        if self.output_fd is None:
            return
        waiting = pipe_bytes(self.output_fd)
        while waiting > 0 and self.output_fd is not None:
            chunk = os.read(self.output_fd, min(waiting, 1 << 20))
            if not chunk:
                self.output_fd = None
                return
            self.on_output(chunk)
            waiting -= len(chunk)

    def skip_waiting(self) -> None:
        """Throw away every byte of frames received so far and waiting in the pipe."""
        self.buffer.clear()
        waiting = pipe_bytes(self.fd)
        while waiting > 0:
            chunk = os.read(self.fd, min(waiting, 1 << 20))
            if not chunk:
                return
            waiting -= len(chunk)

    def _fill(self, need: int, deadline: float) -> None:
        while len(self.buffer) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            watched = [self.fd] + ([self.output_fd] if self.output_fd is not None else [])
            ready = wait_readable(watched, remaining)
            if not ready:
                raise TimeoutError
            if self.output_fd in ready:
                self._drain_once()
            if self.fd in ready:
                chunk = read_ready(self.fd, 1 << 20)
                if not chunk:
                    raise EOFError
                self.buffer += chunk

    def read(self, deadline: float, max_size: int = MAX_FRAME):
        """The next frame, decoded. A frame announced larger than `max_size` is refused from
        its header, before its body is read or decoded (ProtocolError)."""
        self._fill(HEADER.size, deadline)
        (size,) = HEADER.unpack_from(self.buffer)
        if size > min(max_size, MAX_FRAME):
            raise ProtocolError(f"an answer of {size} bytes, more than the {min(max_size, MAX_FRAME)} "
                                "bytes any answer to this request can need")
        self._fill(HEADER.size + size, deadline)
        data = self.last = bytes(self.buffer[HEADER.size:HEADER.size + size])
        del self.buffer[:HEADER.size + size]
        self.drain()
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ProtocolError(f"not JSON: {e}") from None
        except RecursionError:
            raise ProtocolError("JSON nested too deeply") from None


# -- grader -> worker ----------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """Run one probe on the submission."""

    probe: str  # a name from probes/names.py
    args: dict = field(default_factory=dict)  # the probe function's keyword arguments, plain data

    def to_frame(self) -> dict:
        return {"probe": self.probe, "args": self.args}

    @classmethod
    def from_frame(cls, frame) -> "Request":
        if not (isinstance(frame, dict) and isinstance(frame.get("probe"), str)
                and isinstance(frame.get("args", {}), dict)):
            raise ProtocolError(f"unknown probe request {frame!r:.200}")
        return cls(frame["probe"], frame.get("args", {}))


# -- worker -> grader: events --------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    """The worker is isolated and waits for requests."""

    pid: int  # its process id
    uid: int  # the uid it runs as (a fresh one when the grader is root)

    def to_frame(self) -> dict:
        return {"event": "ready", "pid": self.pid, "uid": self.uid}


@dataclass(frozen=True)
class StartFailed:
    """The worker could not prepare its sandbox; it exits after sending this."""

    message: str  # "ExceptionType: message", for the kit's error

    def to_frame(self) -> dict:
        return {"event": "failed", "message": self.message}


@dataclass(frozen=True)
class Importing:
    """The worker starts importing a submission module (sent before the import runs)."""

    module: str  # dotted module name

    def to_frame(self) -> dict:
        return {"event": "importing", "module": self.module}


@dataclass(frozen=True)
class Imported:
    """The import announced by the last `Importing` is over (whether it worked or not)."""

    module: str  # dotted module name

    def to_frame(self) -> dict:
        return {"event": "imported", "module": self.module}


# -- worker -> grader: replies -------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """An exception as plain data."""

    type: str  # the exception's class name
    message: str  # str(exception), cut to 2000 characters
    traceback: list = field(default_factory=list)  # "  File ..." lines of the submission's own frames only

    def to_frame(self) -> dict:
        return {"type": self.type, "message": self.message, "traceback": list(self.traceback)}

    @classmethod
    def from_frame(cls, frame) -> "Failure":
        if not isinstance(frame, dict):
            raise ProtocolError("an error that is not an object")
        lines = [line for line in frame.get("traceback", []) if isinstance(line, str)] \
            if isinstance(frame.get("traceback", []), list) else []
        return cls(str(frame.get("type")), str(frame.get("message", "")), lines)


@dataclass(frozen=True)
class Answer:
    """The probe returned: `value` is its plain-data result."""

    value: object

    def to_frame(self) -> dict:
        return {"ok": self.value}


@dataclass(frozen=True)
class NameMissing:
    """The submission lacks a contract name the probe needs."""

    name: str  # the dotted name, e.g. micrograd.engine.Value.backward
    detail: str = ""  # what to write where, e.g. "write it in micrograd/engine.py (milestone M2)"

    def to_frame(self) -> dict:
        return {"missing": self.name, "detail": self.detail}


@dataclass(frozen=True)
class NotImplementedYet:
    """The submission's code raised NotImplementedError: a template stub not written yet."""

    error: Failure

    def to_frame(self) -> dict:
        return {"not_implemented": self.error.to_frame()}


@dataclass(frozen=True)
class Raised:
    """The submission's code raised (or its answer could not be sent as plain data)."""

    error: Failure

    def to_frame(self) -> dict:
        return {"error": self.error.to_frame()}


@dataclass(frozen=True)
class CapabilityOff:
    """The probe called a method the grader switched off (it hangs: capabilities.py)."""

    capability: str

    def to_frame(self) -> dict:
        return {"unavailable": self.capability}


@dataclass(frozen=True)
class KitFault:
    """The kit's side failed in the worker: an unknown request, a name outside the contract."""

    message: str

    def to_frame(self) -> dict:
        return {"kit_error": self.message}


def message_from_frame(frame):
    """The event or reply a frame from the worker holds; ProtocolError for anything else."""
    if not isinstance(frame, dict):
        raise ProtocolError("an answer that is not an object")
    event = frame.get("event")
    if event in ("importing", "imported"):
        return (Importing if event == "importing" else Imported)(str(frame.get("module")))
    if event == "ready":
        return Ready(frame.get("pid"), frame.get("uid"))
    if event == "failed":
        return StartFailed(str(frame.get("message")))
    if "ok" in frame:
        return Answer(frame["ok"])
    if "missing" in frame:
        return NameMissing(str(frame["missing"]), str(frame.get("detail") or ""))
    if isinstance(frame.get("not_implemented"), dict):
        return NotImplementedYet(Failure.from_frame(frame["not_implemented"]))
    if isinstance(frame.get("error"), dict):
        return Raised(Failure.from_frame(frame["error"]))
    if "kit_error" in frame:
        return KitFault(str(frame["kit_error"]))
    if "unavailable" in frame:
        return CapabilityOff(str(frame["unavailable"]))
    raise ProtocolError("an answer the grader does not understand")
