"""Placeholder until issue 5 (family updates) fills it in: handles nothing yet."""

from __future__ import annotations

from handlers.turn import Turn


def participant(turn: Turn) -> bool:
    """Not implemented yet: pass the text on."""
    return False


def family(turn: Turn) -> bool:
    """Not implemented yet: pass the text on."""
    return False
