"""Length-prefixed JSON frames over pipes: plain data only, in both directions."""
import json
import os
import select
import struct
import time

from ..errors import ProtocolError

HEADER = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024


def encode(obj) -> bytes:
    data = json.dumps(obj, allow_nan=True, separators=(",", ":")).encode("utf-8")
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
    """Reads frames with a deadline; the grader never blocks on an untrusted process."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = bytearray()

    def _fill(self, need: int, deadline: float) -> None:
        while len(self.buffer) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def read(self, deadline: float):
        self._fill(HEADER.size, deadline)
        (size,) = HEADER.unpack_from(self.buffer)
        if size > MAX_FRAME:
            raise ProtocolError(f"frame of {size} bytes")
        self._fill(HEADER.size + size, deadline)
        data = bytes(self.buffer[HEADER.size:HEADER.size + size])
        del self.buffer[:HEADER.size + size]
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ProtocolError(f"not JSON: {e}") from None
        except RecursionError:
            raise ProtocolError("JSON nested too deeply") from None
