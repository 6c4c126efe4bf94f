"""Last in each chain: a useful answer for a text no other handler took."""

from __future__ import annotations

from handlers.turn import Turn


def participant(turn: Turn) -> bool:
    """Acknowledge a participant's free text."""
    return turn.answer("free_text", "fallback")


def counselor(turn: Turn) -> bool:
    """Tell a counselor which commands exist."""
    return turn.answer("unknown_command", "counselor.unknown_command")


def unknown(turn: Turn) -> bool:
    """A neutral answer that reveals nothing about the program or anyone in it."""
    return turn.answer("unknown_sender", "unknown_sender")
