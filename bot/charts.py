"""Server-rendered SVG charts of check-in answers: no JavaScript, readable without colour.

Urges (0-10) are circles on a solid line, mood (1-5) squares on a dashed line, a missed day is
an "x" over a hatched column, reported use a triangle; every series is named in a text legend,
and <title>/<desc> give a screen reader the summary (the page adds a table of the numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape

from bot.queries.checkin_series import DayPoint

WIDTH, LEFT, RIGHT = 720, 44, 30
URGE_TOP, URGE_H = 30, 120
MOOD_TOP, MOOD_H = 196, 56
STRIP_Y = 280
HEIGHT = 312


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * (index + 0.5) / count)


def _segments(points: Sequence[DayPoint], value: Callable[[DayPoint], int | None]
              ) -> list[list[tuple[int, int]]]:
    """Runs of consecutive days with a value (a line never bridges a gap)."""
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for i, p in enumerate(points):
        v = value(p)
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        runs.append(current)
    return runs


def _summary(points: Sequence[DayPoint]) -> str:
    answered = [p for p in points if p.state == "answered"]
    missed = sum(p.state == "missed" for p in points)
    urges = [p.craving for p in answered if p.craving is not None]
    moods = [p.mood for p in answered if p.mood is not None]
    used = sum(bool(p.used) for p in answered)
    parts = [f"{len(answered)} of {len(points)} days answered, {missed} missed"]
    if urges:
        parts.append(f"urges average {sum(urges) / len(urges):.1f} "
                     f"(lowest {min(urges)}, highest {max(urges)}, latest {urges[-1]})")
    if moods:
        parts.append(f"mood average {sum(moods) / len(moods):.1f} of 5")
    if used:
        parts.append(f"use reported on {used} day{'s' if used != 1 else ''}")
    return "; ".join(parts) + "."


def _ticks(y: float, value: int) -> str:
    return (f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value}</text>'
            f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" class="tick">{value}</text>')


def _day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def checkin_chart(points: Sequence[DayPoint], *, title: str, chart_id: str = "chart") -> str:
    """An SVG of urges and mood per day (oldest left), with missed days and reported use."""
    n = max(len(points), 1)
    urge_y = lambda v: URGE_TOP + URGE_H * (1 - v / 10)  # noqa: E731
    mood_y = lambda v: MOOD_TOP + MOOD_H * (1 - (v - 1) / 4)  # noqa: E731
    col = (WIDTH - LEFT - RIGHT) / n
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(_summary(points))}</desc>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#b0b0b0" '
        'stroke-width="2"/></pattern></defs>',
    ]
    # Missed days: a hatched column behind both panels.
    for i, p in enumerate(points):
        if p.state == "missed":
            out.append(f'<rect class="missed-col" x="{_x(i, n) - col / 2:.1f}" y="{URGE_TOP}" '
                       f'width="{col:.1f}" height="{STRIP_Y - URGE_TOP + 8}" '
                       f'fill="url(#{chart_id}-hatch)" opacity="0.6"/>')
    # Axes and grid, each labelled in words.
    # Titles sit at the right end and ticks on both sides: a phone scrolled to the latest
    # days still sees what each panel is.
    out.append(f'<text x="{WIDTH - RIGHT}" y="{URGE_TOP - 10}" text-anchor="end" '
               f'class="axis-title">Urges (0 = none, 10 = strongest)</text>')
    for v in (0, 5, 10):
        y = urge_y(v)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#d0d0d0" stroke-width="1"/>')
        out.append(_ticks(y, v))
    out.append(f'<text x="{WIDTH - RIGHT}" y="{MOOD_TOP - 10}" text-anchor="end" '
               f'class="axis-title">Mood (1 = very low, 5 = very good)</text>')
    for v in (1, 3, 5):
        y = mood_y(v)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#d0d0d0" stroke-width="1"/>')
        out.append(_ticks(y, v))
    # Lines (never bridging a missing day), then markers with a tooltip each.
    for run in _segments(points, lambda p: p.craving):
        pts = " ".join(f"{_x(i, n):.1f},{urge_y(v):.1f}" for i, v in run)
        out.append(f'<polyline class="urge-line" points="{pts}" fill="none" stroke="#1f4e9c" '
                   f'stroke-width="2"/>')
    for run in _segments(points, lambda p: p.mood):
        pts = " ".join(f"{_x(i, n):.1f},{mood_y(v):.1f}" for i, v in run)
        out.append(f'<polyline class="mood-line" points="{pts}" fill="none" stroke="#8a4b08" '
                   f'stroke-width="2" stroke-dasharray="5 3"/>')
    r = 4 if n <= 45 else 3
    for i, p in enumerate(points):
        x, label = _x(i, n), _day_label(p.day)
        if p.craving is not None:
            out.append(f'<circle class="urge" cx="{x:.1f}" cy="{urge_y(p.craving):.1f}" r="{r}" '
                       f'fill="#1f4e9c"><title>{label}: urges {p.craving}</title></circle>')
        if p.mood is not None:
            y = mood_y(p.mood)
            out.append(f'<rect class="mood" x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" '
                       f'height="{2 * r}" '
                       f'fill="#8a4b08"><title>{label}: mood {p.mood}</title></rect>')
        if p.state == "missed":
            out.append(f'<text class="missed" x="{x:.1f}" y="{STRIP_Y}" text-anchor="middle" '
                       f'font-size="16" font-weight="bold">×<title>{label}: missed</title></text>')
        elif p.used:
            out.append(f'<path class="used" d="M{x:.1f},{STRIP_Y - 10} l5,9 h-10 z" '
                       f'fill="#9c1f1f"><title>{label}: reported use</title></path>')
    out.append(f'<text x="{LEFT - 6}" y="{STRIP_Y}" text-anchor="end" class="tick">days</text>')
    # Day labels: first, every week (or two), last.
    step = 7 if n <= 35 else 14
    shown = sorted({*range(n - 1, -1, -step)} | ({0} if (n - 1) % step >= step // 2 else set()))
    for i in shown:
        if i < len(points):
            anchor = "end" if i == n - 1 else "start" if i == 0 else "middle"
            out.append(f'<text x="{_x(i, n):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" '
                       f'class="tick">{_day_label(points[i].day)}</text>')
    out.append("</svg>")
    return "\n".join(out)


LEGEND = (("●", "urges (solid line)"), ("■", "mood (dashed line)"),
          ("×", "missed check-in (hatched)"), ("▲", "reported use"))
