"""The screening question (issue 11): ask, read the answer, and notice silence.

When triage is unsure (its `screen` band) the participant gets the crisis resources and one
question in their language: "Are you thinking about killing yourself or hurting yourself right
now? Reply YES or NO." YES, or crisis wording, is a crisis; NO leaves a concern alert for the
counselor; no answer by `due_at` raises an urgent alert. Every alert carries the question and
the answer, so staff read both. Services take the session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Participant
from bot.models.screening import ScreeningQuestion
from bot.runtime import Runtime
from bot.services.alerts import AlertOutcome, raise_or_add

ANSWER_WINDOW = timedelta(minutes=30)


def ask(
    session: Session, *, participant: Participant, question: str, reasons: Sequence[str],
    message_log_id: int | None, now: datetime,
) -> ScreeningQuestion:
    """Record a screening question sent now; it is due an answer within ANSWER_WINDOW."""
    row = ScreeningQuestion(
        participant_id=participant.id, message_log_id=message_log_id,
        language=participant.language, question=question, reasons=list(reasons),
        asked_at=now, due_at=now + ANSWER_WINDOW, outcome="pending",
    )
    session.add(row)
    session.flush()
    return row


def pending_for(session: Session, participant_id: int, now: datetime) -> ScreeningQuestion | None:
    """The participant's unanswered question still inside its window, locked for this answer."""
    stmt = (
        select(ScreeningQuestion)
        .where(ScreeningQuestion.participant_id == participant_id,
               ScreeningQuestion.outcome == "pending", ScreeningQuestion.due_at > now)
        .order_by(ScreeningQuestion.id.desc())
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).first()


def alert_reasons(row: ScreeningQuestion, headline: str) -> list[str]:
    """What staff read on the alert: the headline, the question, the answer, why it was asked."""
    answer = row.answer if row.answer is not None else "(no answer)"
    return [headline, f"asked: {row.question}", f"answer: {answer}",
            *(f"first text: {r}" for r in row.reasons)]


def record_answer(row: ScreeningQuestion, *, answer: str, outcome: str, now: datetime) -> None:
    """Store the participant's answer and what it meant (yes, no or crisis)."""
    row.answer, row.outcome, row.answered_at = answer, outcome, now


def answered_no(
    session: Session, runtime: Runtime, row: ScreeningQuestion, participant: Participant, *,
    message_log_id: int | None, now: datetime,
) -> AlertOutcome:
    """NO: a concern alert so the counselor still looks, with the question and answer."""
    raised = raise_or_add(  # a new alert of its own, never a follow-up
        add_to_open=False, session=session, runtime=runtime,
        participant=participant, level="concern", kind="screening",
        reasons=alert_reasons(row, "screening question answered NO"),
        summary="answered NO to the safety question", now=now,
        dedupe_key=f"screening:{row.id}:answer", message_log_id=message_log_id,
    )
    row.alert_id = raised.alert.id if raised.alert else row.alert_id
    return raised


def sweep_unanswered(session: Session, runtime: Runtime, now: datetime) -> int:
    """Raise an urgent alert for every question past its window without an answer."""
    rows = session.scalars(
        select(ScreeningQuestion)
        .where(ScreeningQuestion.outcome == "pending", ScreeningQuestion.due_at <= now)
        .order_by(ScreeningQuestion.id)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.outcome = "no_answer"
        participant = session.get(Participant, row.participant_id)
        raised = raise_or_add(  # a new alert of its own, never a follow-up
            add_to_open=False, session=session, runtime=runtime,
            participant=participant, level="urgent", kind="screening",
            reasons=alert_reasons(row, "no answer to the safety question in 30 minutes"),
            summary="no answer to the safety question", now=now,
            dedupe_key=f"screening:{row.id}:no_answer", message_log_id=row.message_log_id,
        )
        row.alert_id = raised.alert.id if raised.alert else row.alert_id
    return len(rows)
