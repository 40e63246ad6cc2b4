"""Matplotlib's font list (worker/fonts.py): found by one plotting worker, read by the next,
and a damaged one in the cache is replaced, not believed."""
import json

from corpus import REFERENCE, patched_reference
from micrograde.probes import names as probes
from micrograde.examples import store
from micrograde.worker import Sandbox, fonts


def _plot(sandbox):
    return sandbox.call(probes.TRAIN_PLOT_LOSSES, "plot_losses(history, 'losses.png')", history=[1.0, 0.5, 0.25])


def _kept(cache):
    return sorted((cache / "matplotlib").glob(fonts.FONT_LISTS))


def test_the_next_plotting_worker_reads_the_font_list_the_first_one_found(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    with Sandbox(REFERENCE) as first:
        _plot(first)
    [kept] = _kept(tmp_path / "cache")
    assert json.loads(kept.read_text())["ttflist"]
    stamp = kept.stat().st_mtime_ns
    with Sandbox(REFERENCE) as second:
        given = dict(second.fonts)
        assert list(given) == [kept.name]
        assert _plot(second)["head"].startswith("89504e47")  # a PNG
        # Read, not found again: matplotlib left the list it was given as it was.
        assert fonts._stamp(second.scratch / fonts.FOLDER / kept.name) == given[kept.name]
    assert kept.stat().st_mtime_ns == stamp


def test_a_damaged_font_list_in_the_cache_is_found_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    with Sandbox(REFERENCE) as first:
        _plot(first)
    [kept] = _kept(tmp_path / "cache")
    kept.write_text('{"ttflist": [')
    with Sandbox(REFERENCE) as second:
        assert _plot(second)["head"].startswith("89504e47")
    assert json.loads(kept.read_text())["ttflist"]


def test_a_submission_that_rewrites_its_font_list_leaves_the_kept_one_as_it_was(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
    with Sandbox(REFERENCE) as first:
        _plot(first)
    [kept] = _kept(tmp_path / "cache")
    before = kept.read_bytes()
    # Run when the plot probe imports the submission's train module: its own matplotlib folder.
    poison = ("import os\nos.makedirs(os.environ['MPLCONFIGDIR'], exist_ok=True)\n"
              f"open(os.path.join(os.environ['MPLCONFIGDIR'], {kept.name!r}), 'w').write('{{}}')\n")
    text = (REFERENCE / "micrograd" / "train.py").read_text()
    sub = patched_reference(tmp_path / "sub", files={"micrograd/train.py": poison + text})
    with Sandbox(sub) as second:
        _plot(second)
        for path in (second.scratch / fonts.FOLDER).glob(fonts.FONT_LISTS):
            path.write_text("{}")  # as a worker sharing our uid could, after it was ready
    with Sandbox(REFERENCE) as third:
        _plot(third)
    assert kept.read_bytes() == before


def test_with_the_cache_off_every_worker_finds_its_fonts_itself(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    with Sandbox(REFERENCE) as sandbox:
        assert sandbox.fonts == {}
        assert _plot(sandbox)["head"].startswith("89504e47")
    assert not any(tmp_path.rglob(fonts.FONT_LISTS))
