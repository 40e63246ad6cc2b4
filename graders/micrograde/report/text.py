"""Making captured text safe to embed: student output can hold terminal colour codes,
NUL bytes or lone surrogates, which XML cannot carry at all and which garble Markdown."""
import re

# C0 controls except tab/newline/CR, DEL and C1 controls, lone surrogates, U+FFFE/U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def visible(text) -> str:
    """`text` with unprintable characters written as escapes (\\x1b, \\ud800), so what
    was there stays readable."""
    def esc(m):
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    return _UNPRINTABLE.sub(esc, str(text))
