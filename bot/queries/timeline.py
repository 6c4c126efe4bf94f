"""A participant's timeline: everything that happened with them, newest first, a page at a time.

Each source (texts in, texts out, check-ins, alerts, attendance, status changes, family consent,
texts never sent) is read newest first with its own index, at most `limit + 1` rows past the
cursor; the sources are merged and cut to one page. The cursor is the (time, source, id) of the
last entry shown, so a page never repeats or skips an entry even when times tie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from bot.models import (
    Alert,
    AlertEvent,
    AuditEvent,
    ConsoleReply,
    Counselor,
    InboxReview,
    MessageLog,
    OutboxMessage,
    StaffAccount,
)
from bot.models.family import Consent
from bot.models.inbox import INBOX_INTENT
from bot.models.schedule import Attendance, CheckIn, Fire, TherapySession
from bot.queries.labels import (
    INTENT_NOTES,
    STATUS_ACTIONS,
    actor_label,
    alert_step,
    changes_label,
    checkin_summary,
    consent_events,
    fire_not_sent,
    outbox_status,
    outbox_title,
)

PAGE = 50
# Tie-break order between sources at the same instant (also the cursor's "source" number).
SOURCES = ("consent", "status", "attendance", "not_sent", "checkin", "alert", "text_out",
           "text_in")
TEXT_REFS = frozenset({"not_sent"})  # sources whose row id is a string key


@dataclass(frozen=True)
class Entry:
    """One thing on the timeline, ready for a template."""

    at: datetime
    source: str  # one of SOURCES
    ref: int | str  # the row's id within its source (a fire's key for "not_sent")
    title: str
    text: str | None = None  # a text's words (texts in and out only)
    status: str | None = None  # delivery status, "waiting in inbox", an alert's state
    note: str | None = None  # why not sent, alert reasons, who marked attendance
    by: str | None = None  # who sent or did it, when a person did
    level: str | None = None  # alerts: crisis | urgent | concern; failures: "problem"
    steps: tuple[tuple[datetime, str], ...] = field(default=())  # an alert's ladder, oldest first
    waiting: bool = False  # a text in the inbox that nobody has reviewed yet
    done_at: datetime | None = None  # when it was reviewed (texts in)

    @property
    def key(self) -> tuple[datetime, int, int | str]:
        """The total order of the timeline (sorted descending)."""
        return (self.at, SOURCES.index(self.source), self.ref)


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended."""

    at: datetime
    source: int
    ref: int | str

    def encode(self) -> str:
        """A token for the next page's URL."""
        return f"{self.at.isoformat()}~{self.source}~{self.ref}"

    @property
    def key(self) -> tuple[datetime, int, int | str]:
        """Comparable with Entry.key."""
        return (self.at, self.source, self.ref)

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a token from encode(); ValueError when it is not one."""
        try:
            at, source, ref = token.split("~", 2)
            when = datetime.fromisoformat(at)
            number = int(source)
            ident: int | str = ref if SOURCES[number] in TEXT_REFS else int(ref)
        except (ValueError, TypeError, IndexError):
            raise ValueError("not a timeline position") from None
        if when.tzinfo is None or number < 0:
            raise ValueError("not a timeline position")
        return cls(when, number, ident)


@dataclass(frozen=True)
class Page:
    """One page of the timeline and where the next one starts (None at the end)."""

    entries: list[Entry]
    next_cursor: str | None


def before(cursor: Cursor | None, source: str, at_col, id_col):
    """SQL: rows of `source` that sort strictly after `cursor` (i.e. older)."""
    if cursor is None:
        return and_(True)
    rank = SOURCES.index(source)
    if rank < cursor.source:
        return at_col <= cursor.at
    if rank > cursor.source:
        return at_col < cursor.at
    return or_(at_col < cursor.at, and_(at_col == cursor.at, id_col < cursor.ref))


def _older(entry: Entry, cursor: Cursor | None) -> bool:
    return cursor is None or entry.key < cursor.key


def texts_in(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Texts from the participant, with whether they wait in the inbox or who reviewed them."""
    rows = session.execute(
        select(MessageLog.id, MessageLog.created_at, MessageLog.body, MessageLog.intent,
               func.coalesce(StaffAccount.name, InboxReview.reviewed_by), InboxReview.reviewed_at)
        .outerjoin(InboxReview, InboxReview.message_log_id == MessageLog.id)
        .outerjoin(StaffAccount, StaffAccount.id == InboxReview.staff_id)
        .where(MessageLog.participant_id == pid, MessageLog.direction == "in",
               before(cursor, "text_in", MessageLog.created_at, MessageLog.id))
        .order_by(MessageLog.created_at.desc(), MessageLog.id.desc()).limit(n))
    out = []
    for mid, at, body, intent, reviewer, reviewed_at in rows:
        inbox = intent == INBOX_INTENT
        status = ("reviewed" if reviewer else "waiting in the inbox") if inbox else None
        out.append(Entry(at, "text_in", mid, "Text from participant", text=body, status=status,
                         note=INTENT_NOTES.get(intent or ""), by=reviewer,
                         waiting=inbox and not reviewer, done_at=reviewed_at))
    return out


def texts_out(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Texts to the participant (sent or not), with delivery status and who wrote them."""
    rows = session.execute(
        select(OutboxMessage, ConsoleReply.sent_by_name)
        .outerjoin(ConsoleReply, ConsoleReply.outbox_id == OutboxMessage.id)
        .where(OutboxMessage.participant_id == pid, OutboxMessage.party == "participant",
               before(cursor, "text_out", OutboxMessage.created_at, OutboxMessage.id))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(n))
    out = []
    for row, staff in rows:
        status, problem = outbox_status(row)
        out.append(Entry(row.created_at, "text_out", row.id, outbox_title(row.kind, staff),
                         text=row.body, status=status, by=staff or "the bot",
                         level="problem" if problem else None))
    return out


def checkins(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Daily check-ins: the answers, or that it was missed."""
    rows = session.scalars(
        select(CheckIn).where(CheckIn.participant_id == pid,
                              before(cursor, "checkin", CheckIn.asked_at, CheckIn.id))
        .order_by(CheckIn.asked_at.desc(), CheckIn.id.desc()).limit(n))
    return [Entry(c.asked_at, "checkin", c.id, f"Check-in for {c.local_date:%a %b %-d}",
                  status=checkin_summary(c), level="problem" if c.missed else None)
            for c in rows]


def alerts(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Alerts, each with its steps (created, texted, escalated, acknowledged, resolved)."""
    found = session.scalars(
        select(Alert).where(Alert.participant_id == pid,
                            before(cursor, "alert", Alert.created_at, Alert.id))
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(n)).all()
    steps: dict[int, list[tuple[datetime, str]]] = {a.id: [] for a in found}
    if found:
        for event, name in session.execute(
            select(AlertEvent, Counselor.name)
            .outerjoin(Counselor, Counselor.id == AlertEvent.counselor_id)
            .where(AlertEvent.alert_id.in_(list(steps)))
            .order_by(AlertEvent.at, AlertEvent.id)
        ):
            steps[event.alert_id].append((event.at, alert_step(event, name)))
    return [Entry(a.created_at, "alert", a.id, f"Alert {a.id}: {a.level}",
                  status=a.state, note="; ".join(a.reasons or []) or a.kind, level=a.level,
                  steps=tuple(steps[a.id]))
            for a in found]


def attendance(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Sessions staff marked present or absent."""
    rows = session.execute(
        select(Attendance, TherapySession.starts_at, TherapySession.group_id)
        .join(TherapySession, TherapySession.id == Attendance.session_id)
        .where(Attendance.participant_id == pid,
               before(cursor, "attendance", TherapySession.starts_at, Attendance.id))
        .order_by(TherapySession.starts_at.desc(), Attendance.id.desc()).limit(n))
    return [Entry(starts, "attendance", a.id,
                  f"{'Group' if group else 'Appointment'}: "
                  f"{'attended' if a.present else 'absent'}",
                  by=actor_label(a.marked_by), level=None if a.present else "problem")
            for a, starts, group in rows]


def status_changes(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Paused, resumed, discharged, re-admitted and roster edits (from the audit log), by the
    staff member's name when the change was made in the console."""
    rows = session.execute(
        select(AuditEvent, StaffAccount.name)
        .outerjoin(StaffAccount, StaffAccount.id == AuditEvent.staff_id)
        .where(
            AuditEvent.subject_type == "participant", AuditEvent.subject_id == pid,
            AuditEvent.action.in_(list(STATUS_ACTIONS)),
            before(cursor, "status", AuditEvent.at, AuditEvent.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(n))
    rows = rows.all()
    moved_to = {(e.detail or {}).get("to_counselor") for e, _ in rows
                if e.action == "participant.counselor_changed"} - {None}
    names = dict(session.execute(select(Counselor.id, Counselor.name)
                                 .where(Counselor.id.in_(moved_to))).all()) if moved_to else {}
    out = []
    for e, staff_name in rows:
        detail = e.detail or {}
        title = STATUS_ACTIONS[e.action]
        if detail.get("to_counselor") in names:
            title += f" to {names[detail['to_counselor']]}"
        if detail.get("until"):
            title += f" until {detail['until']}"
        if e.action == "participant.updated" and detail.get("changes"):
            title += f": {changes_label(detail['changes'])}"
        out.append(Entry(e.at, "status", e.id, title, by=staff_name or actor_label(e.actor)))
    return out


def not_sent(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Scheduled texts that were never queued, and why (quiet hours, paused, opted out...)."""
    rows = session.execute(
        select(Fire.key, Fire.kind, Fire.reason, Fire.decided_at, Fire.local_date)
        # A literal, so even a prepared statement's generic plan uses the partial index.
        .where(Fire.participant_id == pid, Fire.state == literal_column("'dropped'"),
               before(cursor, "not_sent", Fire.decided_at, Fire.key))
        .order_by(Fire.decided_at.desc(), Fire.key.desc()).limit(n))
    return [Entry(at, "not_sent", key, fire_not_sent(kind, day), note=reason, level="problem")
            for key, kind, reason, at, day in rows]


def consents(session: Session, pid: int, cursor: Cursor | None, n: int) -> list[Entry]:
    """Family consent changes: requested, signed, joined, revoked, expired."""
    entries = [Entry(at, "consent", consent.id * 8 + step, title, by=actor_label(by))
               for consent in session.scalars(select(Consent).where(Consent.participant_id == pid))
               for step, (at, title, by) in enumerate(consent_events(consent))]
    entries = [e for e in entries if _older(e, cursor)]
    return sorted(entries, key=lambda e: e.key, reverse=True)[:n]


READERS: tuple[Callable[[Session, int, Cursor | None, int], list[Entry]], ...] = (
    texts_in, texts_out, checkins, alerts, attendance, status_changes, not_sent, consents,
)


def timeline(session: Session, participant_id: int, *, cursor: str | None = None,
             limit: int = PAGE) -> Page:
    """One page of a participant's timeline, newest first; ValueError for a bad cursor."""
    position = Cursor.decode(cursor) if cursor else None
    merged: list[Entry] = []
    for read in READERS:
        merged += [e for e in read(session, participant_id, position, limit + 1)
                   if _older(e, position)]
    merged.sort(key=lambda e: e.key, reverse=True)
    page = merged[:limit]
    more = len(merged) > limit
    last = page[-1] if page else None
    token = Cursor(last.at, SOURCES.index(last.source), last.ref).encode() if more else None
    return Page(page, token)
