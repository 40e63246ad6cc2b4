"""The terminal output of a grading, which may lose its reader: `pytest graders/m1 | head`
closes the pipe after ten lines, `| less` when the student quits it. The grading goes on
and writes its report; what it would still have shown goes to the null device."""
import os


class ReaderTolerant:
    """A text stream whose writes and flushes survive a reader that went away."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard()

    def _discard(self):
        """Point the stream's descriptor at the null device, and let the buffered rest go there."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
            self._stream.flush()
        except (OSError, ValueError):  # no descriptor of its own: the rest is simply not shown
            pass

    def __getattr__(self, name):
        return getattr(self._stream, name)
