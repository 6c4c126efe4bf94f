"""How session times read in a text, in the recipient's zone and language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.program import Program

_ES_DAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
_ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when_text(instant: datetime, timezone: str, language: str) -> str:
    """"Thu Nov 26 6:00 PM" in English, "jue 26 nov 18:00" in Spanish, in local time."""
    local = instant.astimezone(ZoneInfo(timezone))
    if language == "es":
        month = _ES_MONTHS[local.month - 1]
        return f"{_ES_DAYS[local.weekday()]} {local.day} {month} {local:%H:%M}"
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    month = _EN_MONTHS[local.month - 1]
    return f"{_EN_DAYS[local.weekday()]} {month} {local.day} {hour}:{local.minute:02d} {half}"


def session_text(
    program: Program, key: str, *, individual: bool, starts_at: datetime, location: str | None,
    timezone: str, language: str, style: str | None = None, **values: str,
) -> str:
    """Render `key` + ".group"/".individual" (+ "_at" with a location) for one recipient."""
    name = f"{key}.{'individual' if individual else 'group'}{'_at' if location else ''}"
    return program.text(
        name, language, style, when=when_text(starts_at, timezone, language),
        location=location or "", **values,
    )


def date_text(day: date, language: str) -> str:
    """A calendar date as the participant reads it: "Mon Nov 30" or "lun 30 nov"."""
    if language == "es":
        return f"{_ES_DAYS[day.weekday()]} {day.day} {_ES_MONTHS[day.month - 1]}"
    return f"{_EN_DAYS[day.weekday()]} {_EN_MONTHS[day.month - 1]} {day.day}"
