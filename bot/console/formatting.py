"""Template filters: ages, clinic-local times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.console import bp
from bot.runtime import current


@bp.app_template_filter("ago")
def ago(when: datetime | None, now: datetime | None = None) -> str:
    """'just now', '4 min ago', '3 h 10 min ago', '2 days ago'."""
    if when is None:
        return ""
    seconds = max(0, int(((now or current().now()) - when).total_seconds()))
    minutes = seconds // 60
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    days = hours // 24
    return "1 day ago" if days == 1 else f"{days} days ago"


@bp.app_template_filter("ladder")
def ladder(step: int) -> str:
    """Where an unacknowledged alert is on the escalation ladder, in words."""
    return "first notice sent" if not step else f"escalation ladder step {step}"


@bp.app_template_filter("local")
def local(when: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
    """`when` in the clinic's time zone."""
    if when is None:
        return ""
    return when.astimezone(ZoneInfo(current().program.timezone)).strftime(fmt)
