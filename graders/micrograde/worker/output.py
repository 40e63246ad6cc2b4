"""What the submission printed, kept as head and tail within a byte budget per check."""
import os

TRUNCATED = "\n[... {} bytes of output left out ...]\n"


class OutputLog:
    def __init__(self, path, budget: int):
        self.path = path
        self.budget = budget
        self.taken = 0
        self.pending = ""

    def open_for_worker(self) -> int:
        """A fresh log for a fresh worker; what the last one printed and nobody took is kept."""
        self.pending = self._join(self.pending, self._read_new())
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self.taken = 0
        return fd

    def _read_new(self) -> str:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return ""
        try:
            size = os.fstat(fd).st_size
            new = size - self.taken
            if new <= 0:
                return ""
            half = self.budget // 2
            if new <= self.budget:
                text = os.pread(fd, new, self.taken)
            else:
                head = os.pread(fd, half, self.taken)
                tail = os.pread(fd, half, size - half)
                text = head + TRUNCATED.format(new - 2 * half).encode() + tail
            self.taken = size
            return text.decode("utf-8", "replace")
        finally:
            os.close(fd)

    def _join(self, a: str, b: str) -> str:
        text = a + b
        if len(text) <= self.budget:
            return text
        half = self.budget // 2 - 64
        return text[:half] + TRUNCATED.format(len(text) - 2 * half) + text[-half:]

    def take(self) -> str:
        text = self._join(self.pending, self._read_new())
        self.pending = ""
        return text
