"""Draw once per seed: a property check replays the examples an earlier run drew.

With a fixed seed and settings, the examples Hypothesis generates up to the first failure
do not depend on the submission: every example of a passing run is the same for every
submission under the same kit, seed and check. The first run that passes a check keeps
them (`store.py`); later runs call the test's body on them in the same order, without
Hypothesis drawing anything. At the first example that fails, Hypothesis takes over as in
an uncached run, in the same order: it draws the same examples again, this module answers
the ones already judged without asking the worker again (the passing ones pass, the
failing one raises the same failure), and from there Hypothesis shrinks on the worker as
always. So a report is the same, check for check, with or without the cache, and the
worker sees the same probes in the same order.

A body's draws (`st.data()`) are checked against the recorded ones, strategy by strategy:
a check whose draws depend on what the submission answered, or on anything not in the
entry's key, leaves the recorded path and is graded by Hypothesis alone. The entry is
kept as it is (the first run that filled it wins): a run that left it never rewrites it.
"""
import copy
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import Phase
from hypothesis.errors import StopTest, UnsatisfiedAssumption
from hypothesis.strategies import DataObject

from ..errors import ReplayDiverged, ReplayStopped
from ..spec import KIT_ROOT
from . import store

CACHEABLE_PHASES = {Phase.generate, Phase.shrink}
DATA = "<st.data()>"  # in a recorded example: the argument that was an st.data() object
STOP, REJECT = "stop", "reject"


@dataclass
class Example:
    """One call of the test's body: what @given drew, and what the body drew itself."""
    kwargs: dict
    draws: list = field(default_factory=list)  # (strategy repr, label repr, value)
    ending: str | None = None  # how Hypothesis ended it early: STOP, REJECT or None (ran to the end)
    in_draw: bool = False  # ended by a draw (one past `draws`) rather than by the body


def _stable(text: str) -> bool:
    return " at 0x" not in text  # an object's address: a different key in every run


def entry_name(test, variant: str = "") -> str | None:
    """The cache key of a @given test (`variant`: which of its parametrizations), or None
    when its examples cannot be reused."""
    handle = getattr(test, "hypothesis", None)
    seed = getattr(test, "_hypothesis_internal_use_seed", None)
    settings = getattr(test, "_hypothesis_internal_use_settings", None)
    given = getattr(handle, "_given_kwargs", None)
    if handle is None or seed is None or settings is None or not isinstance(given, dict):
        return None
    if settings.database is not None or not set(settings.phases) <= CACHEABLE_PHASES:
        return None  # saved failures or targeting: what is drawn depends on earlier outcomes
    code = handle.inner_test.__code__
    try:
        where = str(Path(code.co_filename).resolve().relative_to(KIT_ROOT))
    except ValueError:
        where = code.co_filename
    parts = [f"{where}::{code.co_name}[{variant}]", repr(seed), repr(settings),
             repr(sorted((name, repr(s)) for name, s in given.items()))]
    return store.key(*parts) if all(map(_stable, parts)) else None


def _valid(entry) -> bool:
    return isinstance(entry, list) and bool(entry) and all(
        isinstance(e, Example) and isinstance(e.kwargs, dict) and isinstance(e.draws, list)
        and all(isinstance(d, tuple) and len(d) == 3 for d in e.draws) for e in entry)


class _RecordingData:
    """An st.data() object that notes each draw for the cache."""

    def __init__(self, real: DataObject, example: Example):
        self._real, self._example = real, example

    def draw(self, strategy, label=None):
        try:
            value = self._real.draw(strategy, label)
        except StopTest:
            self._example.ending, self._example.in_draw = STOP, True
            raise
        except UnsatisfiedAssumption:
            self._example.ending, self._example.in_draw = REJECT, True
            raise
        self._example.draws.append((repr(strategy), repr(label), copy.deepcopy(value)))
        return value


class _ReplayData:
    """An st.data() object that answers each draw from a recorded example, checking that the
    body asks for the same strategy as when it was recorded."""

    def __init__(self, example: Example):
        self.example = example
        self.strategies = []  # the strategy objects drawn from, for the hand-over
        self.end_strategy = None

    def draw(self, strategy, label=None):
        n = len(self.strategies)
        if n == len(self.example.draws) and self.example.in_draw:
            self.end_strategy = (strategy, label)
            raise ReplayStopped
        if n >= len(self.example.draws) or self.example.draws[n][:2] != (repr(strategy), repr(label)):
            raise ReplayDiverged
        self.strategies.append((strategy, label))
        return copy.deepcopy(self.example.draws[n][2])


def _record(test, testargs: dict, name: str):
    """Run Hypothesis as always; if the check passes, keep the examples it drew."""
    handle = test.hypothesis
    inner = handle.inner_test
    examples = []

    def recording(*args, **kwargs):
        example = Example(kwargs={})
        for key, value in kwargs.items():
            if key in testargs:
                continue
            example.kwargs[key] = DATA if isinstance(value, DataObject) else copy.deepcopy(value)
            if isinstance(value, DataObject):
                kwargs[key] = _RecordingData(value, example)
        examples.append(example)
        if args:
            examples.append(None)  # positional draws: not replayable, keep nothing
        try:
            return inner(*args, **kwargs)
        except UnsatisfiedAssumption:
            example.ending = example.ending or REJECT
            raise

    handle.inner_test = recording
    try:
        test(**testargs)
    finally:
        handle.inner_test = inner
    if examples and None not in examples:
        store.store(name, examples)


def _replay(test, testargs: dict, entry: list, verdicts: tuple):
    """Call the body on each recorded example: (index, failure or None, replay data) of the
    first that fails, or None when all pass. Raises ReplayDiverged off the recorded path."""
    inner = test.hypothesis.inner_test
    replays = []
    for i, example in enumerate(entry):
        data = _ReplayData(example)
        replays.append(data)
        kwargs = {k: data if v == DATA else copy.deepcopy(v) for k, v in example.kwargs.items()}
        ending, in_draw = None, False
        try:
            inner(**testargs, **kwargs)
        except ReplayStopped:
            ending, in_draw = example.ending, True
        except UnsatisfiedAssumption:
            ending = REJECT
        except verdicts as failure:
            return i, failure, replays
        except Exception:
            return i, None, replays  # not a verdict of the check: Hypothesis runs this one itself
        if (ending, in_draw) != (example.ending, example.in_draw) or len(data.strategies) != len(example.draws):
            raise ReplayDiverged
    return None


def _hand_over(test, testargs: dict, entry: list, failed: int, failure, replays: list):
    """Run Hypothesis from the start, answering the examples already judged from the replay."""
    handle = test.hypothesis
    inner = handle.inner_test
    calls = 0

    def judged(*args, **kwargs):
        nonlocal calls
        n, calls = calls, calls + 1
        if n > failed or (n == failed and failure is None):
            return inner(*args, **kwargs)
        example, replay = entry[n], replays[n]
        if args or set(example.kwargs) != set(kwargs) - set(testargs):
            raise ReplayDiverged
        for key, recorded in example.kwargs.items():
            if recorded == DATA:
                _draw_again(kwargs[key], example, replay, last=n == failed)
            elif kwargs[key] != recorded:
                raise ReplayDiverged
        if n == failed:
            raise failure
        if example.ending == REJECT and not example.in_draw:
            raise UnsatisfiedAssumption

    handle.inner_test = judged
    try:
        test(**testargs)
    finally:
        handle.inner_test = inner


def _draw_again(data: DataObject, example: Example, replay: _ReplayData, last: bool) -> None:
    """Make on Hypothesis's own data the draws the body made in the replay, checking each value."""
    for (strategy, label), (_, _, value) in zip(replay.strategies, example.draws):
        if data.draw(strategy, label) != value:
            raise ReplayDiverged
    if replay.end_strategy is not None and not last:
        data.draw(*replay.end_strategy)  # Hypothesis ends the example here, as when recorded
        raise ReplayDiverged


def run(test, testargs: dict, verdicts: tuple = (AssertionError,), variant: str = "") -> None:
    """Run the @given `test` with its fixtures `testargs`, from the cache where it can be.

    `verdicts`: the exceptions by which the body judges the submission; the first one met
    in the replay is the failure Hypothesis is handed (any other exception, and Hypothesis
    runs that example itself). `variant`: which parametrization of the test this is (its id):
    each has an entry of its own.
    """
    name = entry_name(test, variant)
    if name is None:
        return test(**testargs)
    entry = store.load(name)
    if not _valid(entry):
        return _record(test, testargs, name)
    try:
        outcome = _replay(test, testargs, entry, verdicts)
        if outcome is None:
            return None
        _hand_over(test, testargs, entry, *outcome)
    except ReplayDiverged:
        # Off the recorded path (e.g. draws that depend on the submission's capability
        # profile): Hypothesis grades it alone, and the entry stays as the first run left
        # it, so the jobs of a batch do not overwrite each other's shared entry.
        return test(**testargs)
