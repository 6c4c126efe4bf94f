"""The escalation ladder as pure rules: deadlines and the next step for an unacknowledged alert.

Nothing here reads the clock or the database: `now` and the alert's position are arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.program import parse_hhmm, parse_timezone

LEVELS = ("crisis", "urgent", "concern")
AUDIENCES = ("assigned", "on_call", "supervisors")
STEP_ACTIONS = ("resend", *AUDIENCES)
NEXT_BUSINESS_DAY = "next_business_day"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class LevelRule:
    """Who hears about a new alert of one level, and how long each step may wait."""

    notify: tuple[str, ...]
    first_deadline: int | str  # minutes, or NEXT_BUSINESS_DAY
    step_deadline: int | str


@dataclass(frozen=True)
class Ladder:
    """The clinic's escalation rules."""

    levels: Mapping[str, LevelRule]
    steps: tuple[str, ...]
    business_days: frozenset[int]
    business_start: time
    holidays: frozenset[date]
    timezone: ZoneInfo


@dataclass(frozen=True)
class Step:
    """A ladder step to take now, and the deadline that follows it (None after the last)."""

    number: int
    action: str
    deadline: datetime | None


def next_business_start(at: datetime, ladder: Ladder) -> datetime:
    """Business start (e.g. 09:30) on the first business day after `at`'s local date."""
    day = at.astimezone(ladder.timezone).date() + timedelta(days=1)
    while day.weekday() not in ladder.business_days or day in ladder.holidays:
        day += timedelta(days=1)
    return datetime.combine(day, ladder.business_start, tzinfo=ladder.timezone)


def _after(wait: int | str, at: datetime, ladder: Ladder) -> datetime:
    if wait == NEXT_BUSINESS_DAY:
        return next_business_start(at, ladder)
    return at + timedelta(minutes=int(wait))


def deadline_after(ladder: Ladder, level: str, step: int, at: datetime) -> datetime | None:
    """When step `step` (0 = first notice), taken at `at`, times out; None if no step follows."""
    if step >= len(ladder.steps):
        return None
    rule = ladder.levels[level]
    return _after(rule.first_deadline if step == 0 else rule.step_deadline, at, ladder)


def next_step(
    ladder: Ladder, level: str, step: int, deadline: datetime | None, now: datetime
) -> Step | None:
    """The step due at `now` for an open alert at `step` with `deadline`, or None if none is."""
    if deadline is None or now < deadline or step >= len(ladder.steps):
        return None
    number = step + 1
    return Step(number, ladder.steps[step], deadline_after(ladder, level, number, now))


def _wait(value: Any, where: str) -> int | str:
    if value == NEXT_BUSINESS_DAY:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{where}: expected minutes (a positive whole number) or "
                         f"{NEXT_BUSINESS_DAY}, not {value!r}")
    return value


def _level(name: str, block: Any) -> LevelRule:
    if not isinstance(block, Mapping):
        raise ValueError(f"levels.{name}: expected a mapping")
    notify = tuple(block.get("notify") or ("assigned",))
    bad = [a for a in notify if a not in AUDIENCES]
    if bad:
        raise ValueError(f"levels.{name}.notify: unknown audience {bad[0]!r}; use {AUDIENCES}")
    return LevelRule(
        notify=notify,
        first_deadline=_wait(block.get("first_deadline"), f"levels.{name}.first_deadline"),
        step_deadline=_wait(block.get("step_deadline"), f"levels.{name}.step_deadline"),
    )


def ladder_from_dict(data: Mapping[str, Any], timezone: str) -> Ladder:
    """Build a Ladder from the parsed YAML; raise ValueError naming the bad setting."""
    levels = data.get("levels") or {}
    missing = [name for name in LEVELS if name not in levels]
    if missing:
        raise ValueError(f"levels: {', '.join(missing)} missing")
    steps = tuple(data.get("steps") or ())
    bad = [s for s in steps if s not in STEP_ACTIONS]
    if bad:
        raise ValueError(f"steps: unknown step {bad[0]!r}; use {STEP_ACTIONS}")
    days = [str(d).lower()[:3] for d in data.get("business_days") or WEEKDAYS[:5]]
    if not days or any(d not in WEEKDAYS for d in days):
        raise ValueError(f"business_days: use names from {WEEKDAYS}")
    try:
        holidays = frozenset(date.fromisoformat(str(d)) for d in data.get("holidays") or ())
    except ValueError:
        raise ValueError("holidays: dates are written YYYY-MM-DD") from None
    return Ladder(
        levels={name: _level(name, levels[name]) for name in LEVELS},
        steps=steps,
        business_days=frozenset(WEEKDAYS.index(d) for d in days),
        business_start=parse_hhmm(str(data.get("business_start", "09:30"))),
        holidays=holidays,
        timezone=parse_timezone(str(data.get("timezone") or timezone)),
    )
