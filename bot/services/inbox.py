"""Marking participants' texts reviewed: who read them and when, in the audit log too."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import InboxReview, MessageLog
from bot.queries.inbox import is_inbox_text
from bot.sql import insert_ignoring_duplicates


class InboxError(ValueError):
    """A text that is not in any inbox was asked to be marked reviewed."""


def mark_reviewed(
    session: Session, message_ids: Iterable[int], *, actor: str, now: datetime,
    staff_id: int | None = None,
) -> int:
    """Mark inbox texts reviewed by `actor`; returns how many were newly marked.

    A text someone else marked first keeps its first reviewer (two staff clearing the same
    inbox at once is not an error). Each new review is an audit event.
    """
    ids = sorted(set(message_ids))
    if not ids:
        return 0
    found = dict(session.execute(
        select(MessageLog.id, MessageLog.participant_id)
        .where(MessageLog.id.in_(ids), is_inbox_text())
    ).all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise InboxError(f"not a text waiting for review: {', '.join(map(str, missing))}")
    # The UPDATE is the claim: of two people marking the same text at once, the second waits
    # for the first's row lock, then finds it reviewed and changes nothing.
    claimed = list(session.scalars(
        update(MessageLog)
        .where(MessageLog.id.in_(ids), MessageLog.reviewed_at.is_(None))
        .values(reviewed_at=now)
        .returning(MessageLog.id)
        .execution_options(synchronize_session=False)
    ))
    insert_ignoring_duplicates(
        session, InboxReview.__table__,
        [{"message_log_id": i, "reviewed_by": actor, "staff_id": staff_id, "reviewed_at": now}
         for i in claimed],
        key=["message_log_id"],
    )
    for i in sorted(claimed):
        audit.record(session, "inbox.reviewed", now=now, actor=actor, subject_type="message_log",
                     subject_id=i, participant_id=found[i], staff_id=staff_id)
    return len(claimed)
