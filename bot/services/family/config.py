"""The `family:` section of the program file, read and checked once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from bot.program import Program, parse_hhmm, parse_timezone
from bot.rules.family_scopes import MILESTONE_KINDS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class FamilyConfig:
    """When weekly updates go out, which milestones count, and how long codes last."""

    weekly_day: int = 6  # Monday = 0 ... Sunday = 6
    weekly_time: time = time(17, 0)
    catch_up_hours: int = 12  # a weekly update later than this after its time is skipped
    default_timezone: str | None = None  # None: the participant's zone
    code_valid_days: int = 7
    milestones: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {"checkin_weeks": (4, 8, 12), "sessions_attended": (10, 20)}
    )


def family_config(program: Program) -> FamilyConfig:
    """The family settings from `program` (defaults for anything absent); ValueError if bad."""
    raw = program.section("family")
    base = FamilyConfig()
    day = str(raw.get("weekly_update_day", DAYS[base.weekly_day])).strip().lower()[:3]
    if day not in DAYS:
        raise ValueError(f"family.weekly_update_day must be one of {', '.join(DAYS)}")
    zone = raw.get("default_timezone") or None
    if zone:
        parse_timezone(zone)
    milestones = base.milestones
    if "milestones" in raw:
        milestones = {}
        for kind, values in (raw.get("milestones") or {}).items():
            if kind not in MILESTONE_KINDS:
                raise ValueError(f"family.milestones: unknown kind {kind!r}")
            milestones[kind] = tuple(sorted(int(v) for v in values or ()))
    return FamilyConfig(
        weekly_day=DAYS.index(day),
        weekly_time=parse_hhmm(str(raw.get("weekly_update_time", "17:00"))),
        catch_up_hours=int(raw.get("catch_up_hours", base.catch_up_hours)),
        default_timezone=zone,
        code_valid_days=int(raw.get("code_valid_days", base.code_valid_days)),
        milestones=milestones,
    )
