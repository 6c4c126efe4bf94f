"""Placeholder until issue 4 (triage and escalation): acting on an understood reply."""

from __future__ import annotations

from typing import Any

from handlers.turn import Turn


def act_on(turn: Turn, result: Any, *, context: str) -> None:
    """Raise the alert a triage result calls for and add feedback replies (not yet)."""
    return None
