"""PAUSE / "PAUSE 3 days" / RESUME (and PAUSA / REANUDAR): check-ins off and on by text."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.rules.pause import PauseRequest, parse_pause
from bot.services.schedule.pausing import pause, resume
from bot.services.schedule.wording import date_text
from bot.triage.reply import Reply
from handlers.turn import Turn

__all__ = ["PauseRequest", "handle", "parse_pause"]


def handle(turn: Turn, reply: Reply) -> bool:
    """Pause or resume the sender's daily check-ins."""
    request = reply.pause
    person = turn.party.participant
    if request is None or person is None or person.status == "discharged":
        return False
    actor = f"participant:{person.id}"
    if request.action == "resume":
        if resume(turn.session, person, turn.now, actor=actor):
            return turn.answer("resume", "pause.resumed")
        return turn.answer("resume", "pause.not_paused")
    until: date | None = None
    if request.days:
        today = turn.now.astimezone(ZoneInfo(person.timezone)).date()
        until = today + timedelta(days=request.days)
    pause(turn.session, person, turn.now, until=until, actor=actor)
    if until is None:
        return turn.answer("pause", "pause.done")
    shown = date_text(until, person.language)
    return turn.answer("pause", "pause.done_until", until=shown)

