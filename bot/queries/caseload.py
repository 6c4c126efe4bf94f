"""The caseload list: participants a staff member may see, with what needs their attention."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.access import StaffLike, participant_scope
from bot.models import Alert, Counselor, MessageLog, Participant, PhoneNumber
from bot.queries.inbox import is_inbox_text, unreviewed

PAGE = 50


@dataclass(frozen=True)
class CaseloadRow:
    """One participant in the list."""

    id: int
    name: str
    status: str
    counselor_name: str
    opted_out: bool
    flagged: bool
    waiting: int  # texts in the inbox
    open_alerts: int


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (with '\\' as the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def caseload(
    session: Session, staff: StaffLike, *, search: str = "", own_only: bool = False,
    after: tuple[str, int] | None = None, limit: int = PAGE,
) -> list[CaseloadRow]:
    """Participants `staff` may see, by name; `search` matches any part of the name."""
    stmt = (
        select(Participant.id, Participant.name, Participant.status, Counselor.name,
               func.coalesce(PhoneNumber.opted_out, False), PhoneNumber.flag)
        .join(Counselor, Counselor.id == Participant.counselor_id)
        .outerjoin(PhoneNumber, PhoneNumber.phone == Participant.phone)
        .where(participant_scope(staff))
    )
    if own_only and staff.counselor_id is not None:
        stmt = stmt.where(Participant.counselor_id == staff.counselor_id)
    words = search.strip()
    if words:
        stmt = stmt.where(func.lower(Participant.name).like(
            f"%{escape_like(words.lower())}%", escape="\\"))
    if after is not None:
        name, pid = after
        stmt = stmt.where((Participant.name > name)
                          | ((Participant.name == name) & (Participant.id > pid)))
    rows = session.execute(stmt.order_by(Participant.name, Participant.id).limit(limit)).all()
    ids = [r[0] for r in rows]
    waiting = dict(session.execute(
        select(MessageLog.participant_id, func.count())
        .where(MessageLog.participant_id.in_(ids), is_inbox_text(), unreviewed())
        .group_by(MessageLog.participant_id)).all()) if ids else {}
    alerts = dict(session.execute(
        select(Alert.participant_id, func.count())
        .where(Alert.participant_id.in_(ids), Alert.state != "resolved")
        .group_by(Alert.participant_id)).all()) if ids else {}
    return [CaseloadRow(pid, name, status, counselor, bool(out), flag is not None,
                        waiting.get(pid, 0), alerts.get(pid, 0))
            for pid, name, status, counselor, out, flag in rows]
