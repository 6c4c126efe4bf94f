"""A participant's text that no earlier handler took: rate it, alert if needed, answer usefully."""

from __future__ import annotations

from bot.triage.reply import Reply
from handlers.triage_actions import act_on
from handlers.turn import Turn


def handle(turn: Turn, reply: Reply) -> bool:
    """Routine texts pass on to the fallback; urgent or concerning ones alert and get feedback."""
    result = reply.risk
    if result.level == "none":
        return False
    act_on(turn, result, context="free_text")
    turn.intent = turn.intent or f"free_text.{result.level}"
    return True
