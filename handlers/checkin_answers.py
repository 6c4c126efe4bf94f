"""Answers to the daily check-in, matched to the open check-in one question at a time."""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from bot.models.schedule import CheckIn
from bot.services.schedule.checkins import record_answer
from bot.services.schedule.config import schedule_config
from bot.triage.reply import Reply
from handlers import triage_actions
from handlers.turn import Turn

# What answering may change on the check-in (record_answer, and when the next question went).
ANSWERED = ("step", "craving", "used", "mood", "reasks", "answered_at", "completed_at",
            "prompted_at")


def handle(turn: Turn, reply: Reply) -> bool:
    """Record an answer to the open check-in and ask the next question (or say thanks)."""
    checkin = turn.sender.checkin if turn.sender is not None else None
    answer = reply.answer
    if checkin is None or answer is None or reply.other_message:
        return False
    step = answer.step
    if not answer.understood:
        if checkin.reasks:
            return False  # asked twice already: let the team see it as a message
        checkin.reasks, checkin.prompted_at = 1, turn.now
        return turn.answer("checkin_unclear", f"checkin.{step}.again")
    ask_mood = schedule_config(turn.program).ask_mood
    progress = record_answer(checkin, step, answer.value, turn.now, ask_mood)
    if step == "craving" and answer.also_used is not None:  # "3, no use"
        progress = record_answer(checkin, "use", answer.also_used, turn.now, ask_mood)
    checkin.prompted_at = turn.now
    save_answer(turn, checkin)
    turn.intent = "checkin_answer"
    if answer.value is not None or step != "mood":  # a skipped mood has nothing to rate
        # answer.risk was read with the clinic's thresholds (with urgent_craving: 5 an answer
        # "6" is urgent). The next question (or the closing thanks) already thanks them: only
        # add feedback that says something more (a coping tip, "nice work", an alert raised).
        specific = triage_actions.feedback_key(answer.risk) != "feedback.thanks"
        triage_actions.act_on(turn, answer.risk, context="checkin", feedback=specific)
    turn.say(progress.next_key)
    return True


def save_answer(turn: Turn, checkin: CheckIn) -> None:
    """Write the answered check-in's columns now with one prepared UPDATE (the ORM's flush of
    the same change costs more CPU than the statement), then mark them saved on the object so
    the flush does not write them again."""
    values = {name: getattr(checkin, name) for name in ANSWERED}
    params = {"checkin_id": checkin.id, **{f"new_{k}": v for k, v in values.items()}}
    # On the session's connection: no autoflush (the object's own flush would be this UPDATE
    # again) and none of the ORM's execute path.
    turn.session.connection().execute(_update_answered(), params)
    for name, value in values.items():
        set_committed_value(checkin, name, value)


@functools.cache
def _update_answered():
    """UPDATE checkins SET <ANSWERED> WHERE id = :checkin_id, built once per process."""
    table = CheckIn.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("checkin_id"))
        .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in ANSWERED})
    )
