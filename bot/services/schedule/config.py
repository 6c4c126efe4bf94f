"""The schedule's settings from the program file (`checkin:`, `reminders:`, `quiet_hours:`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.program import Program
from bot.rules.timing import QuietHours


@dataclass(frozen=True)
class ScheduleConfig:
    """Offsets, follow-up delay, missed-check-in threshold, quiet hours and planning lead."""

    reminder_offsets: tuple[timedelta, ...]
    followup_after: timedelta
    missed_before_alert: int
    ask_mood: bool
    quiet: QuietHours
    lookahead: timedelta
    max_catch_up: timedelta

    @property
    def longest_offset(self) -> timedelta:
        """The earliest reminder's distance from its session."""
        return max(self.reminder_offsets, default=timedelta(0))


def schedule_config(program: Program) -> ScheduleConfig:
    """Read the schedule settings, with the documented defaults."""
    checkin = program.section("checkin")
    reminders = program.section("reminders")
    offsets = reminders.get("offsets_hours", [24, 2])
    return ScheduleConfig(
        reminder_offsets=tuple(
            sorted({timedelta(hours=float(h)) for h in offsets}, reverse=True)
        ),
        followup_after=timedelta(minutes=float(checkin.get("followup_after_minutes", 120))),
        missed_before_alert=int(checkin.get("missed_before_alert", 3)),
        ask_mood=bool(checkin.get("ask_mood", True)),
        quiet=QuietHours(program.quiet_start, program.quiet_end),
        lookahead=timedelta(minutes=float(checkin.get("plan_ahead_minutes", 10))),
        max_catch_up=timedelta(hours=float(checkin.get("max_catch_up_hours", 26))),
    )
