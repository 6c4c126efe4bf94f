"""PAUSE / "PAUSE 3 days" / RESUME (and PAUSA / REANUDAR): check-ins off and on by text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.rules.keywords import normalize
from bot.services.schedule.pausing import pause, resume
from bot.services.schedule.wording import date_text
from handlers.turn import Turn

_PAUSE = re.compile(
    r"^(?:pause|pausa|pausar)(?:\s+(?:for\s+|por\s+)?(?P<n>\d{1,2})"
    r"(?:\s*(?:d|day|days|dia|dias))?)?$"
)
_RESUME = re.compile(r"^(?:resume|unpause|reanudar|continuar)$")


@dataclass(frozen=True)
class PauseRequest:
    """A text asking to pause (for `days`, or open-ended) or to resume."""

    action: str  # pause | resume
    days: int | None = None


def parse_pause(text: str) -> PauseRequest | None:
    """Recognise PAUSE, PAUSE 3 days, PAUSA 3 días, RESUME, REANUDAR; None otherwise."""
    norm = normalize(text)
    if _RESUME.match(norm):
        return PauseRequest("resume")
    match = _PAUSE.match(norm)
    if not match:
        return None
    days = int(match.group("n")) if match.group("n") else None
    return PauseRequest("pause", days if days else None)


def handle(turn: Turn) -> bool:
    """Pause or resume the sender's daily check-ins."""
    request = parse_pause(turn.message.body)
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

