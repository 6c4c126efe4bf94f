"""The screening question: ask it when triage is unsure, and act on the answer.

`answer` runs before the crisis handler for a participant with an unanswered question: YES or
any crisis wording pages staff at once (the crisis alert shows the question and the answer);
NO leaves a concern alert; anything else goes on down the chain and the question stays open
(silence is not a no: the clock's screening sweep raises an urgent alert after 30 minutes).
`ask` runs after the crisis handler: a text in triage's uncertain band gets the crisis
resources and the question, in the participant's language, saying a bot is asking.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.services import screening
from bot.triage.reply import Reply
from handlers import crisis
from handlers.turn import Turn

log = logging.getLogger(__name__)
QUESTION_KEY = "screening.question"


def ask(turn: Turn, reply: Reply) -> bool:
    """Uncertain band: resources plus one screening question; the answer is awaited."""
    participant = turn.party.participant
    if participant is None:
        return False
    result = reply.plain
    if not result.screen:
        return False
    if turn.sender is not None and turn.sender.screening_id is not None:
        return False  # asked already and awaiting the answer: the usual handlers take this text
    question = turn.program.text(QUESTION_KEY, turn.language, turn.style)
    row = screening.ask(
        turn.session, participant=participant, question=question, reasons=result.reasons,
        message_log_id=turn.log.id, now=turn.now,
    )
    log.info("screening question %s asked after inbound %s", row.id, turn.message.sid)
    turn.replies.append(question)
    turn.intent = "screening.asked"
    return True


def answer(turn: Turn, reply: Reply) -> bool:
    """An answer to an open screening question: YES/crisis pages, NO leaves a concern alert."""
    participant = turn.party.participant
    if participant is None:
        return False
    said, result = reply.yes_no, reply.plain
    if turn.sender is not None and turn.sender.screening_id is None:
        return False  # no question awaits an answer
    if said is None and result.level != "crisis":
        return False  # not an answer: no query, the text goes on down the chain
    row = screening.pending_for(turn.session, participant.id, turn.now)
    if row is None:
        return False
    if result.level == "crisis" or said is True:
        outcome = "crisis" if result.level == "crisis" and said is not True else "yes"
        screening.record_answer(row, answer=turn.message.body, outcome=outcome, now=turn.now)
        headline = ("screening question answered YES" if outcome == "yes"
                    else "crisis wording in the answer to the screening question")
        reasons = (*screening.alert_reasons(row, headline), *result.reasons)
        key = crisis.alert_staff(turn, dataclasses.replace(result, reasons=reasons))
        log.warning("screening question %s answered: %s", row.id, outcome)
        return turn.answer("screening.yes", key)
    if said is False:
        screening.record_answer(row, answer=turn.message.body, outcome="no", now=turn.now)
        screening.answered_no(turn.session, turn.runtime, row, participant,
                              message_log_id=turn.log.id, now=turn.now)
        log.info("screening question %s answered: no", row.id)
        return turn.answer("screening.no", "screening.no")
    return False
