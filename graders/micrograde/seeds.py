"""Every number derived from the grading seed, and the one the submission's `random` gets.

The grading seed may be an instructor's private one. Everything sent to the worker is
visible to the submission (it can read the probe's arguments and `random.getstate()`), so:

- what the grader derives from the seed (each check's Hypothesis examples, the M4 task)
  comes from a keyed hash (HMAC-SHA256, the seed as key): 64 bits that cannot be turned
  back into the seed; only trying every candidate seed can, so a private seed should be a
  large random number (`python -c "import secrets; print(secrets.randbits(63))"`);
- the seed of the submission's own `random` (set before its code runs, so that random
  initial weights repeat) depends on the check's name only: it tells nothing about the
  grading seed, whatever is done with it.
"""
import hashlib
import hmac


def derived(seed: int, purpose: str) -> int:
    """A 64-bit number for `purpose` ("check test_x", "m4 task"), keyed by the grading seed."""
    digest = hmac.new(f"micrograde grading seed {int(seed)}".encode(), purpose.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def student_seed(check: str) -> int:
    """The seed of the submission's `random` in this check: the check's alone, no grading seed in it."""
    return int.from_bytes(hashlib.sha256(f"micrograde student random {check}".encode()).digest()[:4], "big")
