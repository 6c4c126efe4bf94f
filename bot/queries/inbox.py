"""The inbox: participants' texts that only a person can answer and nobody has reviewed yet.

A text lands here when no handler understood it as an answer (a number, C/N, a keyword) and
triage raised no alert for it: its message-log intent is INBOX_INTENT. Reviewing it adds an
InboxReview row (who) and sets message_log.reviewed_at (the flag the inbox's partial index
reads); nothing on the inbound path changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.orm import Session

from bot.models import Counselor, MessageLog, Participant
from bot.models.inbox import INBOX_INTENT

PAGE = 50


@dataclass(frozen=True)
class InboxItem:
    """One waiting text, with who sent it and whose caseload they are in."""

    message_id: int
    participant_id: int
    participant_name: str
    counselor_id: int
    counselor_name: str
    received_at: datetime
    body: str


def is_inbox_text():
    """The SQL condition for a text only a person can answer (reviewed or not).

    The values are SQL literals, not bound parameters: PostgreSQL uses a partial index only
    when it can see the query implies the index's WHERE, and psycopg's prepared statements
    (after five runs) get a generic plan that cannot see inside parameters. With parameters
    the inbox fell back to walking every text by time (2-3 s on 500,000 texts).
    """
    return and_(MessageLog.direction == literal_column("'in'"),
                MessageLog.party == literal_column("'participant'"),
                MessageLog.intent == literal_column(f"'{INBOX_INTENT}'"))


def unreviewed():
    """The SQL condition: nobody has marked it reviewed (with is_inbox_text: the partial index)."""
    return MessageLog.reviewed_at.is_(None)


def _waiting(counselor_id: int | None) -> Select:
    stmt = (
        select(MessageLog.id, MessageLog.participant_id, Participant.name, Participant.counselor_id,
               Counselor.name, MessageLog.created_at, MessageLog.body)
        .join(Participant, Participant.id == MessageLog.participant_id)
        .join(Counselor, Counselor.id == Participant.counselor_id)
        .where(is_inbox_text(), unreviewed())
    )
    if counselor_id is not None:
        stmt = stmt.where(Participant.counselor_id == counselor_id)
    return stmt


def waiting(
    session: Session, *, counselor_id: int | None = None, after: tuple[datetime, int] | None = None,
    limit: int = PAGE,
) -> list[InboxItem]:
    """Waiting texts, oldest first (a queue); `counselor_id` None means every caseload.

    `after` is the (received_at, message_id) of the last item of the previous page.
    """
    stmt = _waiting(counselor_id)
    if after is not None:
        at, last_id = after
        stmt = stmt.where((MessageLog.created_at > at)
                          | and_(MessageLog.created_at == at, MessageLog.id > last_id))
    stmt = stmt.order_by(MessageLog.created_at, MessageLog.id).limit(limit)
    return [InboxItem(*row) for row in session.execute(stmt)]


def waiting_item(session: Session, message_id: int) -> InboxItem | None:
    """One waiting text by its message-log id (None if reviewed or not an inbox text)."""
    row = session.execute(_waiting(None).where(MessageLog.id == message_id)).one_or_none()
    return InboxItem(*row) if row else None


def waiting_counts(session: Session) -> dict[int, int]:
    """How many texts wait in each counselor's inbox (counselors with none are absent)."""
    stmt = (
        select(Participant.counselor_id, func.count())
        .select_from(MessageLog)
        .join(Participant, Participant.id == MessageLog.participant_id)
        .where(is_inbox_text(), unreviewed())
        .group_by(Participant.counselor_id)
    )
    return {cid: n for cid, n in session.execute(stmt)}
