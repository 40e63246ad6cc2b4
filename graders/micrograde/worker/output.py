"""What the submission printed, drained from a pipe and kept as head and tail per check.

The worker's stdout and stderr are one pipe that the grader reads while it waits for an
answer. Printing never fails in the submission, however much it prints (the grader keeps
reading, so a write only waits), and the grader keeps no more than the budget: the first
and the last half of what was printed since the last check took it.
"""
TRUNCATED = "\n[... {} bytes of output left out ...]\n"


class OutputLog:
    def __init__(self, budget: int):
        self.budget = budget
        self._reset()

    def _reset(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        half = (self.budget - len(TRUNCATED) - 16) // 2  # head, note and tail fit the budget
        room = half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        if len(data) >= half:
            self.dropped += len(self.tail) + len(data) - half
            self.tail = bytearray(data[len(data) - half:])
            return
        self.tail += data
        if len(self.tail) > half:
            cut = len(self.tail) - half
            self.dropped += cut
            del self.tail[:cut]

    def take(self) -> str:
        text = bytes(self.head).decode("utf-8", "replace")
        if self.dropped:
            text += TRUNCATED.format(self.dropped)
        text += bytes(self.tail).decode("utf-8", "replace")
        self._reset()
        return text
