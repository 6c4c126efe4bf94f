"""Server-rendered SVG bar charts for the program report: no JavaScript, readable without colour.

Like the check-in chart (bot/charts.py): every series has its own fill pattern (solid, hatched,
dotted, cross-hatched) named in a legend inside the picture, each bar carries its number as text
and a <title>, and <title>/<desc> give a screen reader the summary (the page adds a table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, LEFT, RIGHT, TOP, PLOT_H = 720, 60, 16, 44, 170
HEIGHT = TOP + PLOT_H + 40
MIN_LABELLED_BAR = 13  # narrower bars keep their number in the tooltip and the table only

# (colour, pattern body) per style; the pattern is drawn on white inside the bar's outline.
STYLES = {
    "solid": ("#1f4e9c", None),
    "hatch": ("#8a4b08", '<path d="M0,6 l6,-6 M-1,1 l2,-2 M5,7 l2,-2" stroke="{c}" '
                         'stroke-width="1.6"/>'),
    "dots": ("#33527a", '<circle cx="3" cy="3" r="1.4" fill="{c}"/>'),
    "cross": ("#9c1f1f", '<path d="M0,0 l6,6 M6,0 l-6,6" stroke="{c}" stroke-width="1.2"/>'),
}


@dataclass(frozen=True)
class Series:
    """One set of bars: a name for the legend, a value per category (None = no data)."""

    name: str
    values: Sequence[float | None]
    style: str = "solid"


def _fill(style: str, chart_id: str) -> str:
    colour, body = STYLES[style]
    return colour if body is None else f"url(#{chart_id}-{style})"


def _defs(series: Sequence[Series], chart_id: str) -> str:
    out = []
    for style in dict.fromkeys(s.style for s in series):
        colour, body = STYLES[style]
        if body is not None:
            out.append(f'<pattern id="{chart_id}-{style}" width="6" height="6" '
                       f'patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff"/>'
                       f'{body.format(c=colour)}</pattern>')
    return f"<defs>{''.join(out)}</defs>"


def _nice_max(top: float) -> float:
    """A round axis maximum at or above `top` whose half is a whole number too (2, 4, 6, 10
    times a power of ten), so count axes never show "0.5"."""
    step = 1.0
    while True:
        for m in (2, 4, 6, 10):
            if m * step >= top:
                return m * step
        step *= 10


def _summary(labels: Sequence[str], series: Sequence[Series],
             fmt: Callable[[float], str]) -> str:
    parts = []
    for s in series:
        shown = [(label, v) for label, v in zip(labels, s.values, strict=True) if v is not None]
        if not shown:
            parts.append(f"{s.name}: no data")
            continue
        low = min(shown, key=lambda item: item[1])
        high = max(shown, key=lambda item: item[1])
        parts.append(f"{s.name}: latest {fmt(shown[-1][1])} ({shown[-1][0]}), lowest "
                     f"{fmt(low[1])} ({low[0]}), highest {fmt(high[1])} ({high[0]})")
    return f"{len(labels)} weeks. " + "; ".join(parts) + "."


def bar_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, chart_id: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}", max_value: float | None = None,
    axis: str = "",
) -> str:
    """Grouped bars, one group per label (oldest left), one bar per series."""
    n, k = max(len(labels), 1), max(len(series), 1)
    top = max_value or _nice_max(max((v for s in series for v in s.values if v is not None),
                                     default=0))
    span = WIDTH - LEFT - RIGHT
    group = span / n
    bar = group * 0.8 / k
    base = TOP + PLOT_H
    y = lambda v: base - PLOT_H * min(v, top) / top  # noqa: E731
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart bars" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(_summary(labels, series, fmt))}</desc>',
        _defs(series, chart_id),
    ]
    # Legend across the top: a swatch with the series' own pattern, then its name.
    x = LEFT
    for s in series:
        out.append(f'<rect class="swatch" x="{x}" y="8" width="16" height="16" '
                   f'fill="{_fill(s.style, chart_id)}" stroke="{STYLES[s.style][0]}"/>'
                   f'<text x="{x + 22}" y="21" class="legend-text">{escape(s.name)}</text>')
        x += 34 + 7.5 * len(s.name)
    if axis:
        out.append(f'<text x="{WIDTH - RIGHT}" y="21" text-anchor="end" '
                   f'class="axis-title">{escape(axis)}</text>')
    for v in (0, top / 2, top):
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="#d0d0d0" stroke-width="1"/>'
                   f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                   f'class="tick">{escape(fmt(v))}</text>')
    for j, s in enumerate(series):
        colour = STYLES[s.style][0]
        for i, v in enumerate(s.values):
            bx = LEFT + group * i + group * 0.1 + bar * j
            tip = f"{labels[i]}: {s.name} {fmt(v) if v is not None else 'no data'}"
            if v is None:
                out.append(f'<text class="nodata" x="{bx + bar / 2:.1f}" y="{base - 4}" '
                           f'text-anchor="middle">–<title>{escape(tip)}</title></text>')
                continue
            top_y = y(v)
            out.append(f'<rect class="bar s{j}" x="{bx:.1f}" y="{top_y:.1f}" '
                       f'width="{bar:.1f}" height="{base - top_y:.1f}" '
                       f'fill="{_fill(s.style, chart_id)}" stroke="{colour}">'
                       f'<title>{escape(tip)}</title></rect>')
            if bar >= MIN_LABELLED_BAR:
                out.append(f'<text class="value" x="{bx + bar / 2:.1f}" y="{top_y - 3:.1f}" '
                           f'text-anchor="middle">{escape(fmt(v))}</text>')
    step = max(1, round(n / 12 + 0.49))
    for i, label in enumerate(labels):
        if i % step == 0:
            out.append(f'<text x="{LEFT + group * (i + 0.5):.1f}" y="{base + 18}" '
                       f'text-anchor="middle" class="tick">{escape(label)}</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" '
               f'stroke="#5b6575" stroke-width="1"/>')
    out.append("</svg>")
    return "\n".join(out)

