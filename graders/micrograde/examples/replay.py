"""Draw once per seed: a property check replays the examples an earlier run drew.

With a fixed seed and settings, the examples Hypothesis generates up to the first failure
do not depend on the submission: every example of a passing run is the same for every
submission under the same kit, seed and check. The first run that passes a check keeps
them (`store.py`); later runs call the check's body on them in the same order, without
Hypothesis drawing anything, or even being imported. At the first example that fails,
Hypothesis takes over as in an uncached run, in the same order: it draws the same
examples again, this module answers the ones already judged without asking the worker
again (the passing ones pass, the failing one raises the same failure), and from there
Hypothesis shrinks on the worker as always. So a report is the same, check for check,
with or without the cache, and the worker sees the same probes in the same order.

A body's draws are checked against the recorded ones, by what was asked for (its repr) and
label: a check whose draws depend on what the submission answered, or on anything not in
the entry's key, leaves the recorded path and is graded by Hypothesis alone. The entry is
kept as it is (the first run that filled it wins): a run that left it never rewrites it.
"""
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReplayDiverged, ReplayStopped
from ..spec import KIT_ROOT
from . import store
from .property import SETTINGS, Drawing, PropertyCheck, strategy

STOP, REJECT = "stop", "reject"


@dataclass
class Example:
    """One call of the check's body: what it drew, and how it ended."""
    draws: list = field(default_factory=list)  # (repr of what was drawn, label repr, value)
    ending: str | None = None  # how Hypothesis ended it early: STOP, REJECT or None (ran to the end)
    in_draw: bool = False  # ended by a draw (one past `draws`) rather than by the body


def _rejected(exc) -> bool:
    """Whether `exc` is Hypothesis's rejection of an example (`assume`): only possible once
    Hypothesis is imported."""
    errors = sys.modules.get("hypothesis.errors")
    return errors is not None and isinstance(exc, errors.UnsatisfiedAssumption)


def entry_name(check: PropertyCheck, seed: int, variant: str = "") -> str:
    """The cache key of a check (`variant`: which of its parametrizations) under `seed`."""
    code = check.body.__code__
    try:
        where = str(Path(code.co_filename).resolve().relative_to(KIT_ROOT))
    except ValueError:
        where = code.co_filename
    return store.key(f"{where}::{code.co_name}[{variant}]", repr(seed), repr(sorted(SETTINGS.items())))


def _valid(entry) -> bool:
    return isinstance(entry, list) and bool(entry) and all(
        isinstance(e, Example) and isinstance(e.draws, list)
        and all(isinstance(d, tuple) and len(d) == 3 for d in e.draws) for e in entry)


class _RecordingData(Drawing):
    """A body's `data` under Hypothesis that notes each draw for the cache."""

    def __init__(self, real, example: Example):
        super().__init__(real)
        self._example = example

    def draw(self, drawable, label=None):
        from hypothesis.errors import StopTest, UnsatisfiedAssumption

        try:
            value = super().draw(drawable, label)
        except StopTest:
            self._example.ending, self._example.in_draw = STOP, True
            raise
        except UnsatisfiedAssumption:
            self._example.ending, self._example.in_draw = REJECT, True
            raise
        self._example.draws.append((repr(drawable), repr(label), copy.deepcopy(value)))
        return value


class _ReplayData:
    """A body's `data` that answers each draw from a recorded example, checking that the
    body asks for the same thing as when it was recorded."""

    def __init__(self, example: Example):
        self.example = example
        self.asked = []  # (what, label) of each draw, for the hand-over
        self.end = None  # the draw in which Hypothesis ended the example

    def draw(self, drawable, label=None):
        n = len(self.asked)
        if n == len(self.example.draws) and self.example.in_draw:
            self.end = (drawable, label)
            raise ReplayStopped
        if n >= len(self.example.draws) or self.example.draws[n][:2] != (repr(drawable), repr(label)):
            raise ReplayDiverged
        self.asked.append((drawable, label))
        return copy.deepcopy(self.example.draws[n][2])


def _record(check: PropertyCheck, testargs: dict, seed: int, name: str):
    """Run Hypothesis as always; if the check passes, keep the examples it drew."""
    examples = []

    def recording(fixtures, data):
        example = Example()
        examples.append(example)
        try:
            return check.body(**fixtures, data=_RecordingData(data, example))
        except Exception as e:
            if _rejected(e):
                example.ending = example.ending or REJECT
            raise

    check.example = recording
    try:
        check.hypothesis_test(seed)(**testargs)
    finally:
        check.example = check.run_body
    if examples:
        store.store(name, examples)


def _replay(check: PropertyCheck, testargs: dict, entry: list, verdicts: tuple):
    """Call the body on each recorded example: (index, failure or None, replay data) of the
    first that fails, or None when all pass. Raises ReplayDiverged off the recorded path."""
    replays = []
    for i, example in enumerate(entry):
        data = _ReplayData(example)
        replays.append(data)
        ending, in_draw = None, False
        try:
            check.body(**testargs, data=data)
        except ReplayStopped:
            ending, in_draw = example.ending, True
        except verdicts as failure:
            return i, failure, replays
        except Exception as e:
            if not _rejected(e):
                return i, None, replays  # not a verdict of the check: Hypothesis runs this one itself
            ending = REJECT
        if (ending, in_draw) != (example.ending, example.in_draw) or len(data.asked) != len(example.draws):
            raise ReplayDiverged
    return None


def _hand_over(check: PropertyCheck, testargs: dict, seed: int, entry: list, failed: int, failure, replays: list):
    """Run Hypothesis from the start, answering the examples already judged from the replay."""
    from hypothesis.errors import UnsatisfiedAssumption

    calls = 0

    def judged(fixtures, data):
        nonlocal calls
        n, calls = calls, calls + 1
        if n > failed or (n == failed and failure is None):
            return check.run_body(fixtures, data)
        _draw_again(data, entry[n], replays[n], last=n == failed)
        if n == failed:
            raise failure
        if entry[n].ending == REJECT and not entry[n].in_draw:
            raise UnsatisfiedAssumption

    check.example = judged
    try:
        check.hypothesis_test(seed)(**testargs)
    finally:
        check.example = check.run_body


def _draw_again(data, example: Example, replay: _ReplayData, last: bool) -> None:
    """Make on Hypothesis's own data the draws the body made in the replay, checking each value."""
    for (drawable, label), (_, _, value) in zip(replay.asked, example.draws):
        if data.draw(strategy(drawable), label) != value:
            raise ReplayDiverged
    if replay.end is not None and not last:
        drawable, label = replay.end
        data.draw(strategy(drawable), label)  # Hypothesis ends the example here, as when recorded
        raise ReplayDiverged


def run(check: PropertyCheck, testargs: dict, seed: int, verdicts: tuple = (AssertionError,), variant: str = "") -> None:
    """Run the property check with its fixtures `testargs` and `seed`, from the cache where it can be.

    `verdicts`: the exceptions by which the body judges the submission; the first one met
    in the replay is the failure Hypothesis is handed (any other exception, and Hypothesis
    runs that example itself). `variant`: which parametrization of the check this is (its
    id): each has an entry of its own.
    """
    name = entry_name(check, seed, variant)
    entry = store.load(name)
    if not _valid(entry):
        return _record(check, testargs, seed, name)
    try:
        outcome = _replay(check, testargs, entry, verdicts)
        if outcome is None:
            return None
        _hand_over(check, testargs, seed, entry, *outcome)
    except ReplayDiverged:
        # Off the recorded path (e.g. draws that depend on the submission's capability
        # profile): Hypothesis grades it alone, and the entry stays as the first run left
        # it, so the jobs of a batch do not overwrite each other's shared entry.
        return check.hypothesis_test(seed)(**testargs)
