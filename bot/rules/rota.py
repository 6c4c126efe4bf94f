"""Weekly on-call shifts as pure rules: parse days and hours; does a shift cover a time."""

from __future__ import annotations

from datetime import datetime, time

from bot.program import parse_hhmm

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_days(text: str) -> list[int]:
    """'mon,wed' / 'mon-fri' / 'all' -> sorted weekday numbers (0 = Monday); ValueError if bad."""
    raw = (text or "").strip().lower()
    if raw in ("all", "daily", "every"):
        return list(range(7))
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in raw.split(","))):
        first, _, last = part.partition("-")
        if first[:3] not in WEEKDAYS or (last and last[:3] not in WEEKDAYS):
            raise ValueError(f"not a weekday: {part!r} (use mon,tue,... or mon-fri or all)")
        a = WEEKDAYS.index(first[:3])
        b = WEEKDAYS.index(last[:3]) if last else a
        day = a
        while True:  # a range may wrap: fri-mon
            days.add(day)
            if day == b:
                break
            day = (day + 1) % 7
    if not days:
        raise ValueError("give at least one weekday (mon,tue,... or mon-fri or all)")
    return sorted(days)


def parse_hours(text: str) -> tuple[time, time]:
    """'17:00-09:00' -> (17:00, 09:00); an end at or before the start runs into the next day."""
    first, sep, last = (text or "").partition("-")
    if not sep:
        raise ValueError(f"hours must look like 09:00-17:00, not {text!r}")
    return parse_hhmm(first), parse_hhmm(last)


def covers(weekday: int, starts: time, ends: time, local: datetime) -> bool:
    """Whether a weekly shift (weekday, starts-ends) covers the local wall-clock time `local`.

    starts == ends is 24 hours from `starts` (00:00-00:00 is the whole weekday).
    """
    at, day = local.time().replace(tzinfo=None), local.weekday()
    if starts < ends:
        return day == weekday and starts <= at < ends
    return (day == weekday and at >= starts) or (day == (weekday + 1) % 7 and at < ends)
