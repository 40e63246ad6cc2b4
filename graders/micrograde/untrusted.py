"""Text that comes from a submission, cut to a size the grader can afford to keep.

No imports beyond the standard library: the worker's client (in the grader) uses it.
"""
import re

# Every text that comes from a submission (feedback, exception type names, reprs, what it
# printed) is cut to this before the grader keeps it: a 15 MB class name must not become a
# gigabyte report, nor gigabytes of grader memory.
TEXT_CAP = 64 * 1024
CUT = "\n[... {} characters left out ...]\n"
# Decoded, a JSON text no longer than TEXT_CAP holds no longer string (a character takes a
# byte at least), and one with no more brackets than this no deeper nesting than `capped`
# walks wherever the grader calls it: `capped` would return an equal copy.
SHALLOW_BRACKETS = 64


# A default repr quotes the object's address, which differs in every run: a report shows
# it masked, so that the same submission and seed give the same report.
ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+")
MASKED_ADDRESS = "at 0x..."


def without_addresses(text: str) -> str:
    return ADDRESS.sub(MASKED_ADDRESS, text)


def cap(text, limit: int = TEXT_CAP) -> str:
    """`text` cut to at most about `limit` characters, keeping its head and its tail."""
    text = str(text)
    if len(text) <= limit:
        return text
    half = max(limit // 2 - len(CUT), 0)
    return text[:half] + CUT.format(len(text) - 2 * half) + text[len(text) - half:]


def needs_capping(text: bytes) -> bool:
    """Whether the data decoded from the JSON `text` may need `capped` (with TEXT_CAP)."""
    return len(text) > TEXT_CAP or text.count(b"[") + text.count(b"{") > SHALLOW_BRACKETS


def capped(data, limit: int = TEXT_CAP):
    """Plain data (an answer of the worker) with every string in it cut by `cap`."""
    if isinstance(data, str):
        return cap(data, limit)
    if isinstance(data, list):
        return [capped(x, limit) for x in data]
    if isinstance(data, dict):
        return {cap(k, limit): capped(v, limit) for k, v in data.items()}
    return data

