"""Placeholder until issue 4 (triage and escalation) fills it in: handles nothing yet."""

from __future__ import annotations

from handlers.turn import Turn


def handle(turn: Turn) -> bool:
    """Not implemented yet: pass the text on."""
    return False
