"""Weekly meeting patterns such as "mon,wed,thu 18:00-21:00": parsing and occurrences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules.timing import local_to_utc

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALIASES = {
    "monday": "mon", "tues": "tue", "tuesday": "tue", "weds": "wed", "wednesday": "wed",
    "thur": "thu", "thurs": "thu", "thursday": "thu", "friday": "fri", "saturday": "sat",
    "sunday": "sun",
}
_PATTERN = re.compile(
    r"^\s*(?P<days>[a-z]+(?:\s*,\s*[a-z]+)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


class InvalidPattern(ValueError):
    """The weekly pattern is not of the form "mon,wed,thu 18:00-21:00"."""


@dataclass(frozen=True)
class WeeklyPattern:
    """Days of the week (0 = Monday) and a local start and end time."""

    weekdays: tuple[int, ...]
    start: time
    end: time

    def __str__(self) -> str:
        days = ",".join(DAYS[d] for d in self.weekdays)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


def _clock(text: str, original: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise InvalidPattern(f"invalid time {text!r} in weekly pattern {original!r}")
    return time(hours, minutes)


def parse_weekly(text: str) -> WeeklyPattern:
    """Parse "mon,wed,thu 18:00-21:00" or raise InvalidPattern with a one-line reason."""
    original = text or ""
    match = _PATTERN.match(original.strip().lower())
    if not match:
        raise InvalidPattern(
            f"weekly pattern must look like \"mon,wed,thu 18:00-21:00\", not {original!r}"
        )
    weekdays = set()
    for raw in match.group("days").split(","):
        name = _ALIASES.get(raw.strip(), raw.strip())
        if name not in DAYS:
            raise InvalidPattern(f"unknown day {raw.strip()!r} in weekly pattern {original!r}")
        weekdays.add(DAYS.index(name))
    start, end = _clock(match.group("start"), original), _clock(match.group("end"), original)
    if end <= start:
        raise InvalidPattern(f"weekly pattern {original!r} ends before it starts")
    return WeeklyPattern(tuple(sorted(weekdays)), start, end)


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a weekly pattern: its local date and its UTC start and end."""

    local_date: date
    starts_at: datetime
    ends_at: datetime


def occurrences(
    pattern: WeeklyPattern, tz: ZoneInfo, first: date, last: date
) -> Iterator[Occurrence]:
    """Every meeting whose local date is in [first, last], with DST-safe UTC instants."""
    day = first
    while day <= last:
        if day.weekday() in pattern.weekdays:
            yield Occurrence(
                day, local_to_utc(day, pattern.start, tz), local_to_utc(day, pattern.end, tz)
            )
        day += timedelta(days=1)
