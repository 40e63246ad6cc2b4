"""OUT/summary.png: score histogram and per-milestone pass rates.

Uses matplotlib's object API with the Agg canvas directly (no pyplot): no display is
needed, and no global backend state is touched, so it is safe beside other threads.
matplotlib is imported on first use (about a second), by `preload` while the batch grades."""
import io
import threading

from .. import atomic


def preload() -> None:
    """Import the plotting code in the background, while the batch grades."""
    threading.Thread(target=_canvas, name="preload-matplotlib").start()


def _canvas():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    return Figure, FigureCanvasAgg, MaxNLocator


def write_summary_png(path, st: dict) -> None:
    Figure, FigureCanvasAgg, MaxNLocator = _canvas()
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    hist, bars = fig.subplots(1, 2)
    top = st["max_score"] or 1
    if st["scores"]:
        hist.hist(st["scores"], bins=min(20, max(5, len(st["scores"]) // 3)), range=(0, top),
                  color="#4C72B0", edgecolor="white")
    hist.set_title(f"Scores ({st['graded']} graded, {st['not_graded']} not graded)")
    hist.set_xlabel(f"score (max {top:g})")
    hist.set_ylabel("submissions")
    hist.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of students: no 0.2 ticks
    names = list(st["milestones"])
    rates = [100 * st["milestones"][m]["pass_rate"] for m in names]
    bars.bar(names, rates, color="#55A868")
    bars.set_ylim(0, 112)  # headroom so a 100% label stays under the title
    bars.set_yticks(range(0, 101, 20))
    bars.set_title("Full marks per milestone")
    bars.set_ylabel("% of graded submissions")
    for x, r in enumerate(rates):
        bars.annotate(f"{r:.0f}%", (x, r), ha="center", va="bottom")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic.write_bytes(path, buf.getvalue())
