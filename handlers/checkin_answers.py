"""Placeholder until issue 3 (reminders and check-ins) fills it in: handles nothing yet."""

from __future__ import annotations

from handlers.turn import Turn


def handle(turn: Turn) -> bool:
    """Not implemented yet: pass the text on."""
    return False
