"""Last in each chain: a useful answer for a text no other handler took."""

from __future__ import annotations

from bot.triage.reply import Reply
from handlers.turn import Turn


def participant(turn: Turn, reply: Reply) -> bool:
    """Acknowledge a participant's free text."""
    return turn.answer("free_text", "fallback")


def counselor(turn: Turn, reply: Reply) -> bool:
    """Tell a counselor which commands exist."""
    return turn.answer("unknown_command", "counselor.unknown_command")


def unknown(turn: Turn, reply: Reply) -> bool:
    """A neutral answer that reveals nothing about the program or anyone in it."""
    return turn.answer("unknown_sender", "unknown_sender")
