"""Recognising PAUSE / "PAUSE 3 days" / RESUME (and PAUSA / REANUDAR) in a text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.rules.keywords import normalize

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
