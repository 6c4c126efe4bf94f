"""Local-time arithmetic for family texts: texting hours and the weekly update's slot."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.program import Program


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone` (a time skipped by DST lands just after the gap)."""
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`."""
    return local_instant(day, time(0, 0), zone)


def next_open(program: Program, zone: ZoneInfo, now: datetime) -> datetime:
    """`now` if it is inside texting hours in `zone`, else when they next open."""
    local = now.astimezone(zone)
    if program.in_quiet_window(local.time()):
        return now
    opening = local_instant(local.date(), program.quiet_start, zone)
    if opening <= now:
        opening = local_instant(local.date() + timedelta(days=1), program.quiet_start, zone)
    return opening


def weekly_slot(now: datetime, zone: ZoneInfo, weekday: int, at: time) -> datetime:
    """The latest weekly slot (weekday at local `at`) at or before `now`."""
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = local_instant(day, at, zone)
    if slot > now:
        slot = local_instant(day - timedelta(days=7), at, zone)
    return slot
