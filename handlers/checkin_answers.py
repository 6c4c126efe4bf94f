"""Answers to the daily check-in, matched to the open check-in one question at a time."""

from __future__ import annotations

import re

from bot.rules.keywords import normalize
from bot.services.schedule.checkins import open_checkin, recent_cravings, record_answer
from bot.services.schedule.config import schedule_config
from bot.triage import (
    TriageRules,
    looks_like_other_message,
    parse_craving,
    parse_mood,
    parse_use,
    triage,
)
from handlers import triage_actions
from handlers.turn import Turn

_SKIP = re.compile(r"^(?:skip|pass|saltar|salta|paso|omitir)$")
_UNSET = object()


def _understand(step: str, text: str, rules: TriageRules):
    """The answer to `step` in `text`, None for a skipped mood, or _UNSET if not understood."""
    if step == "craving":
        value = parse_craving(text, expect_craving=True, rules=rules)
    elif step == "use":
        value = parse_use(text, expect_use=True, rules=rules)
    else:
        if _SKIP.match(normalize(text)):
            return None
        value = parse_mood(text, expect_mood=True, rules=rules)
    return _UNSET if value is None else value


def handle(turn: Turn) -> bool:
    """Record an answer to the open check-in and ask the next question (or say thanks)."""
    person = turn.party.participant
    if person is None:
        return False
    checkin = open_checkin(turn.session, person.id, turn.now)
    text, rules = turn.message.body, turn.rules
    if checkin is None or looks_like_other_message(text, rules=rules):
        return False
    step = checkin.step
    value = _understand(step, text, rules)
    if value is _UNSET:
        if checkin.reasks:
            return False  # asked twice already: let the team see it as a message
        checkin.reasks, checkin.prompted_at = 1, turn.now
        return turn.answer("checkin_unclear", f"checkin.{step}.again")
    history = recent_cravings(turn.session, person.id, turn.now)
    ask_mood = schedule_config(turn.program).ask_mood
    progress = record_answer(checkin, step, value, turn.now, ask_mood)
    if step == "craving" and (used := parse_use(text, rules=rules)) is not None:
        progress = record_answer(checkin, "use", used, turn.now, ask_mood)  # "3, no use"
    checkin.prompted_at = turn.now
    turn.intent = "checkin_answer"
    if value is not None or step != "mood":  # a skipped mood has nothing to rate
        # The clinic's thresholds, not the packaged ones (with urgent_craving: 5 an answer
        # "6" is urgent, as "craving is like a 6" is in free text).
        result = triage(text, expect=step, recent_cravings=history, rules=rules)
        # The next question (or the closing thanks) already thanks them: only add feedback
        # that says something more (a coping tip, "nice work", an alert raised).
        specific = triage_actions.feedback_key(result) != "feedback.thanks"
        triage_actions.act_on(turn, result, context="checkin", feedback=specific)
    turn.say(progress.next_key)
    return True
