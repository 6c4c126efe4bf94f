"""Who sent a text and what they were asked last, read in one query under the number's lock."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from bot.models import Counselor, MessageLog, Participant, PhoneNumber
from bot.models.family import FamilyContact
from bot.models.schedule import CheckIn, Fire, TherapySession
from bot.models.screening import ScreeningQuestion
from bot.outbox import hold_phone
from bot.triage.reply import ReplyContext

RECENT_CRAVING_DAYS = 7  # the "rise of 3+" rule compares with the last week's ratings


@dataclass(frozen=True)
class InboundMessage:
    """A text as Twilio delivered it, already validated and normalised."""

    sid: str
    phone: str  # E.164
    channel: str  # sms | whatsapp
    body: str
    received_at: datetime
    opt_out_type: str | None = None  # STOP | START | HELP when Twilio's Advanced Opt-Out answered


@dataclass
class Party:
    """Who a phone number belongs to."""

    kind: str  # participant | counselor | family | unknown
    participant: Participant | None = None
    counselor: Counselor | None = None
    family: Any = None  # a FamilyContact when kind == "family"


@dataclass
class Sender:
    """The party behind a number and what they were asked last (the text's context)."""

    party: Party
    opted_out: bool
    received_before: bool  # this MessageSid was stored already: a replayed webhook
    checkin: CheckIn | None = None  # the open check-in, loaded for answering
    reminded: tuple[int, datetime] | None = None  # (therapy session id, reminded at)
    screening_id: int | None = None  # an unanswered screening question
    recent_cravings: tuple[int, ...] = field(default_factory=tuple)

    @property
    def context(self) -> ReplyContext:
        """What `parse_reply` needs to know about what was asked."""
        return ReplyContext(
            checkin_step=self.checkin.step if self.checkin is not None else None,
            reminded=self.reminded is not None, screening=self.screening_id is not None,
            recent_cravings=self.recent_cravings,
        )


def look_up_sender(session: Session, phone: str, sid: str, now: datetime) -> Sender:
    """Hold `phone` for this transaction and read who it is and what they were asked, in one
    query (two on PostgreSQL, where the number's row lock is taken first).

    Participants' rows come with the lookup; a counselor's or family member's row (rare
    senders) is read by its id afterwards, so participants' texts do not pay for describing
    and skipping those columns."""
    # The number's lock comes first, so every read below sees a STOP (or an answer) another
    # request committed meanwhile. SQLite's BEGIN IMMEDIATE already holds the database's one
    # write lock for the whole transaction, so there the lookup itself reads opted_out.
    postgres = session.get_bind().dialect.name == "postgresql"
    held = hold_phone(session, phone) if postgres else None
    row = session.execute(_lookup(postgres=postgres), {
        "phone": phone, "sid": sid, "now": now,
        "since": now - timedelta(days=RECENT_CRAVING_DAYS)}).one()
    return _sender(session, row, held)


@functools.cache
def _lookup(*, postgres: bool):
    """The lookup statement, built once per process (building it costs more than running it);
    its values are bound parameters: phone, sid, now and since.

    On PostgreSQL the last reminder is one LATERAL subquery (SQLite has no LATERAL: there it is
    read twice, once per column), and opted_out comes from `_hold` instead.
    """
    now = bindparam("now")
    me = select(bindparam("phone", type_=String(20)).label("phone")).subquery("me")
    asked = aliased(CheckIn)
    open_checkin = (
        select(asked.id)
        .where(asked.participant_id == Participant.id, asked.step != "done",
               asked.closes_at > now, asked.asked_at <= now)
        .order_by(asked.asked_at.desc()).limit(1)
        .correlate(Participant).scalar_subquery()
    )
    contact = aliased(FamilyContact)
    family_contact = (
        select(contact.id)
        .where(contact.phone == me.c.phone, contact.invited_at.is_not(None))
        .order_by(case((contact.state == "active", 0), (contact.state == "invited", 1), else_=2),
                  contact.invited_at.desc())
        .limit(1).correlate(me).scalar_subquery()
    )
    rated = aliased(CheckIn)
    cravings = (
        # string_agg / group_concat with an inline separator: aggregate_strings renders its
        # separator anew on every execution (a post-compile parameter)
        select((func.string_agg if postgres else func.group_concat)(
            cast(rated.craving, String), literal_column("','")))
        .where(rated.participant_id == Participant.id, rated.craving.is_not(None),
               rated.asked_at >= bindparam("since"), rated.asked_at <= now)
        .correlate(Participant).scalar_subquery()
    )
    reminder = _last_reminder(now)
    if postgres:
        last = (reminder.with_only_columns(TherapySession.id.label("id"), Fire.decided_at)
                .lateral("reminded"))
        reminded = [last.c.id.label("reminded_id"), last.c.decided_at.label("reminded_at")]
    else:
        reminded = [
            reminder.with_only_columns(TherapySession.id).scalar_subquery().label("reminded_id"),
            reminder.with_only_columns(Fire.decided_at).scalar_subquery().label("reminded_at"),
        ]
    columns = [
        Counselor.id.label("counselor_id"), Participant, FamilyContact.id.label("family_id"),
        CheckIn,
        exists().where(Counselor.__table__.c.phone == me.c.phone).correlate(me).label("staff"),
        exists().where(MessageLog.twilio_sid == bindparam("sid")).label("received"),
        *reminded,
        select(ScreeningQuestion.id)
        .where(ScreeningQuestion.participant_id == Participant.id,
               ScreeningQuestion.outcome == "pending", ScreeningQuestion.due_at > now)
        .order_by(ScreeningQuestion.id.desc()).limit(1)
        .correlate(Participant).scalar_subquery().label("screening_id"),
        cravings.label("cravings"),
    ]
    if not postgres:
        columns.append(select(PhoneNumber.opted_out).where(PhoneNumber.phone == me.c.phone)
                       .correlate(me).scalar_subquery().label("opted_out"))
    stmt = (
        select(*columns).select_from(me)
        .outerjoin(Counselor, and_(Counselor.phone == me.c.phone, Counselor.active))
        .outerjoin(Participant, Participant.phone == me.c.phone)
        .outerjoin(FamilyContact, FamilyContact.id == family_contact)
        .outerjoin(CheckIn, CheckIn.id == open_checkin)
    )
    return stmt.outerjoin(last, true()) if postgres else stmt


def _last_reminder(now: datetime):
    """The session the participant was last reminded of that hasn't ended (see
    bot/services/schedule/confirmations.py `reminded_session`), correlated to Participant."""
    theirs = or_(TherapySession.participant_id == Participant.id,
                 and_(Participant.group_id.is_not(None),
                      TherapySession.group_id == Participant.group_id))
    return (
        select(TherapySession.id)
        .join(Fire, Fire.session_id == TherapySession.id)
        .where(theirs, TherapySession.status == "scheduled", TherapySession.ends_at > now,
               Fire.participant_id == Participant.id, Fire.kind == "reminder",
               Fire.state == "done", Fire.decided_at <= now)
        .order_by(Fire.decided_at.desc(), TherapySession.starts_at)
        .limit(1)
        .correlate(Participant)
    )


def _sender(session: Session, row, held: bool | None) -> Sender:
    opted_out = bool(held if held is not None else row.opted_out)
    common = {"opted_out": opted_out, "received_before": bool(row.received)}
    # Looked up in order: staff first, then participants, then family members.
    if row.counselor_id is not None:
        counselor = session.get(Counselor, row.counselor_id)
        return Sender(Party("counselor", counselor=counselor), **common)
    person = row.Participant
    if person is not None:
        cravings = tuple(int(v) for v in (row.cravings or "").split(",") if v)
        reminded = (row.reminded_id, row.reminded_at) if row.reminded_id is not None else None
        return Sender(Party("participant", participant=person), checkin=row.CheckIn,
                      reminded=reminded, screening_id=row.screening_id,
                      recent_cravings=cravings, **common)
    # Only numbers we have actually texted count as family (invited_at set); staff, even
    # inactive, are never family.
    if row.family_id is not None and not row.staff:
        family = session.get(FamilyContact, row.family_id)
        return Sender(Party("family", family=family), **common)
    return Sender(Party("unknown"), **common)
