"""The caseload list: participants a staff member may see, with what needs their attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from bot.console.access import StaffLike, participant_scope
from bot.models import Alert, Counselor, Group, MessageLog, Participant, PhoneNumber
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
    phone: str = ""
    group_name: str | None = None
    paused_until: date | None = None  # when paused with an end date


@dataclass(frozen=True)
class Filters:
    """The roster's filters (all optional): status, group, counselor, opted out, flagged."""

    status: str | None = None
    group_id: int | None = None
    counselor_id: int | None = None
    opted_out: bool = False
    flagged: bool = False

    @property
    def any(self) -> bool:
        """True when at least one filter is set."""
        return bool(self.status or self.group_id or self.counselor_id or self.opted_out
                    or self.flagged)

    def where(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses these filters add (on Participant joined to PhoneNumber)."""
        clauses = []
        if self.status:
            clauses.append(Participant.status == self.status)
        if self.group_id:
            clauses.append(Participant.group_id == self.group_id)
        if self.counselor_id:
            clauses.append(Participant.counselor_id == self.counselor_id)
        if self.opted_out:
            clauses.append(PhoneNumber.opted_out.is_(True))
        if self.flagged:
            clauses.append(PhoneNumber.flag.is_not(None))
        return clauses


def matches(search: str) -> ColumnElement[bool] | None:
    """Any part of the name, or (with 3+ digits typed) any part of the phone number."""
    words = search.strip()
    if not words:
        return None
    by_name = func.lower(Participant.name).like(f"%{escape_like(words.lower())}%", escape="\\")
    digits = "".join(ch for ch in words if ch.isdigit())
    if len(digits) < 3:
        return by_name
    return or_(by_name, Participant.phone.like(f"%{digits}%"))


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (with '\\' as the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def caseload(
    session: Session, staff: StaffLike, *, search: str = "", own_only: bool = False,
    after: tuple[str, int] | None = None, limit: int = PAGE, filters: Filters = Filters(),
) -> list[CaseloadRow]:
    """Participants `staff` may see, by name; `search` matches any part of the name (or of the
    phone number, given 3+ digits); `filters` narrow the list further."""
    stmt = (
        select(Participant.id, Participant.name, Participant.status, Counselor.name,
               func.coalesce(PhoneNumber.opted_out, False), PhoneNumber.flag,
               Participant.phone, Group.name, Participant.paused_until)
        .join(Counselor, Counselor.id == Participant.counselor_id)
        .outerjoin(Group, Group.id == Participant.group_id)
        .outerjoin(PhoneNumber, PhoneNumber.phone == Participant.phone)
        .where(participant_scope(staff), *filters.where())
    )
    if own_only and staff.counselor_id is not None:
        stmt = stmt.where(Participant.counselor_id == staff.counselor_id)
    if (found := matches(search)) is not None:
        stmt = stmt.where(found)
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
                        waiting.get(pid, 0), alerts.get(pid, 0), phone, group, until)
            for pid, name, status, counselor, out, flag, phone, group, until in rows]
