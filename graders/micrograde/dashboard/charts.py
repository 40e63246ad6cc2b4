"""Inline SVG charts: the dashboard needs no image files and no plotting library in the
browser. Each chart is a bar chart with a text alternative (role="img" + <title>), and
every bar carries its own <title> so hovering shows the exact count."""
from html import escape

W, H, PAD_L, PAD_B, PAD_T = 420, 180, 34, 34, 10


def bins_of(values, top: float, count: int) -> list:
    """(low, high, n) for `count` equal bins over [0, top]; the last bin includes `top`."""
    top = top or 1.0
    width = top / count
    counts = [0] * count
    for v in values:
        counts[min(count - 1, max(0, int(v / width)))] += 1
    return [(k * width, (k + 1) * width, n) for k, n in enumerate(counts)]


def _num(x: float) -> str:
    return f"{x:g}" if x == int(x) else f"{x:.1f}"


def histogram(values, top: float, title: str, count: int = 10) -> str:
    bins = bins_of(values, top, count)
    peak = max((n for _, _, n in bins), default=0) or 1
    plot_w, plot_h = W - PAD_L - 6, H - PAD_B - PAD_T
    bar_w = plot_w / len(bins)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - 6}" y2="{H - PAD_B}" stroke="#444"/>',
             f'<text x="{PAD_L - 4}" y="{PAD_T + 10}" text-anchor="end" font-size="11">{peak}</text>',
             f'<text x="{PAD_L - 4}" y="{H - PAD_B}" text-anchor="end" font-size="11">0</text>']
    for k, (lo, hi, n) in enumerate(bins):
        h = plot_h * n / peak
        x = PAD_L + k * bar_w
        parts.append(f'<rect x="{x + 1:.1f}" y="{H - PAD_B - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                     f'fill="#4c72b0"><title>{_num(lo)}–{_num(hi)}: {n}</title></rect>')
        if n:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{H - PAD_B - h - 2:.1f}" text-anchor="middle" '
                         f'font-size="10">{n}</text>')
    for k in range(0, len(bins) + 1, max(1, len(bins) // 5)):
        x = PAD_L + k * bar_w
        parts.append(f'<text x="{x:.1f}" y="{H - PAD_B + 14}" text-anchor="middle" font-size="11">'
                     f'{_num(k * (top or 1) / len(bins))}</text>')
    parts.append(f'<text x="{PAD_L + plot_w / 2:.1f}" y="{H - 4}" text-anchor="middle" font-size="11">points</text>')
    parts.append("</svg>")
    return "".join(parts)
