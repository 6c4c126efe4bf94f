"""Local wall-clock times to UTC instants, DST-safely, and the quiet-hour decisions.

Pure functions: every one takes `now` (or the instants it needs) as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on local `day`.

    A time skipped by a spring-forward change moves forward by the gap (02:30 -> 03:30);
    a time that occurs twice on a fall-back day means its first occurrence.
    """
    # fold=0 takes the offset in force before a change: for a skipped time that lands just
    # past the gap once normalised, and for a repeated time it is the first occurrence.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The recipient's calendar date at `instant`."""
    return instant.astimezone(tz).date()


def day_end(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant local `day` ends (the next local midnight)."""
    return local_to_utc(day + timedelta(days=1), time(0, 0), tz)


def instants_between(
    at: time, tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[date, datetime]]:
    """Each (local date, UTC instant) of daily wall-clock `at` with start < instant <= end."""
    found = []
    day = local_date(start, tz) - timedelta(days=1)
    last = local_date(end, tz) + timedelta(days=1)
    while day <= last:
        instant = local_to_utc(day, at, tz)
        if start < instant <= end:
            found.append((day, instant))
        day += timedelta(days=1)
    return found


def before(start: datetime, offset: timedelta, tz: ZoneInfo) -> datetime:
    """The instant `offset` ahead of `start`; whole days count in local calendar days.

    "24 h before Monday 18:00" is Sunday 18:00 local even when a DST change lies between,
    so a reminder never shifts by an hour; other offsets are plain elapsed time.
    """
    if offset % timedelta(days=1) == timedelta(0):
        local = start.astimezone(tz)
        return local_to_utc(local.date() - timedelta(days=offset.days), local.time(), tz)
    return start - offset


@dataclass(frozen=True)
class QuietHours:
    """The clinic's sending window in the recipient's local time, e.g. 09:00-20:00."""

    start: time
    end: time

    def inside(self, local: time) -> bool:
        """True when wall-clock `local` is inside the sending window."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_opening(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The first instant after `now` at which the window opens in `tz`."""
        today = local_date(now, tz)
        for day in (today, today + timedelta(days=1), today + timedelta(days=2)):
            opening = local_to_utc(day, self.start, tz)
            if opening > now:
                return opening
        raise AssertionError("unreachable: a window opens every day")

    def closing(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The instant the window that is open at `now` closes."""
        local = now.astimezone(tz)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        close = local_to_utc(day, self.end, tz)
        return close if close > now else local_to_utc(day + timedelta(days=1), self.end, tz)


@dataclass(frozen=True)
class Decision:
    """What to do with a due fire: send now, wait until `at`, or drop it (with a reason)."""

    action: str  # send | defer | drop
    at: datetime | None = None
    reason: str | None = None


def decide(now: datetime, tz: ZoneInfo, quiet: QuietHours, expires_at: datetime | None) -> Decision:
    """Send inside the window; outside, wait for it unless the text would be pointless by then."""
    if expires_at is not None and now >= expires_at:
        return Decision("drop", reason="pointless: its moment has passed")
    if quiet.inside(now.astimezone(tz).time()):
        return Decision("send", at=now)
    opening = quiet.next_opening(now, tz)
    if expires_at is not None and opening >= expires_at:
        return Decision("drop", reason="pointless by the time texting hours open")
    return Decision("defer", at=opening)
