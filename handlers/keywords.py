"""Opt-out, opt-in and HELP: honoured for everyone, before anything else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, OutboxMessage, PhoneNumber
from bot.outbox import PRIORITY_ALERT, cancel_pending, enqueue, mark_opted_out
from bot.rules.keywords import keyword_of, normalize
from bot.services.oncall import on_call_now
from handlers import crisis
from handlers.turn import Turn


def set_opted_out(session: Session, phone: str, now: datetime, source: str) -> bool:
    """Opt `phone` out and withdraw its unsent texts; False if it already was."""
    if not mark_opted_out(session, phone, now):  # race-free: never a duplicate-key error
        return False
    cancel_pending(session, where=OutboxMessage.to_phone == phone, reason="recipient opted out")
    audit.record(session, "phone.opted_out", now=now, actor=source, phone=phone)
    return True


def set_opted_in(session: Session, phone: str, now: datetime, source: str) -> bool:
    """Opt `phone` back in; False if it was not opted out."""
    opted_in = session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.phone == phone, PhoneNumber.opted_out)
        .values(opted_out=False, opted_in_at=now)
        .execution_options(synchronize_session=False)
    )
    if not opted_in.rowcount:
        return False
    audit.record(session, "phone.opted_in", now=now, actor=source, phone=phone)
    return True


def warn_colleagues(turn: Turn) -> None:
    """A counselor who opts out stops receiving alerts: tell on-call staff and supervisors."""
    counselor = turn.party.counselor
    supervisors = turn.session.scalars(
        select(Counselor).where(Counselor.active, Counselor.supervisor)).all()
    on_call = on_call_now(turn.session, turn.program, turn.now)
    colleagues = [c for c in {c.id: c for c in [*on_call, *supervisors]}.values()
                  if c.id != counselor.id]
    body = turn.program.text("staff.counselor_opted_out", name=counselor.name)
    for colleague in colleagues:
        enqueue(
            turn.session, to=colleague.phone, body=body, kind="staff.notice", now=turn.now,
            dedupe_key=f"counselor-opted-out:{counselor.id}:{turn.message.sid}:{colleague.id}",
            priority=PRIORITY_ALERT, party="counselor",
        )


# Twilio Advanced Opt-Out tells us (OptOutType) when it matched a keyword and answered itself.
TWILIO_OPT_OUT_TYPES = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}


def handle(turn: Turn) -> bool:
    """Answer STOP/START/HELP words and plain opt-out phrases.

    When Twilio's Advanced Opt-Out already answered (OptOutType), the change is recorded and
    the crisis check still runs, but we send no second confirmation.
    """
    by_twilio = TWILIO_OPT_OUT_TYPES.get(turn.message.opt_out_type or "")
    kind = by_twilio or keyword_of(turn.message.body)
    phone, now = turn.message.phone, turn.now

    def confirm(intent: str, key: str | None) -> bool:
        return turn.answer(intent, None if by_twilio else key)

    if kind == "opt_out":
        in_crisis = crisis.behind_opt_out(turn)
        how = "advanced_opt_out" if turn.message.opt_out_type == "STOP" else "text"
        if set_opted_out(turn.session, phone, now, f"{turn.party.kind}:{how}"):
            turn.opted_out = True
            if turn.party.counselor is not None:
                warn_colleagues(turn)
            if in_crisis:  # the one allowed confirmation also says where help is
                key = "optout.confirm_crisis" if turn.party.participant else "optout.confirm_safe"
                return confirm("opt_out", key)
            return confirm("opt_out", "optout.confirm")
        return turn.answer("opt_out")  # one confirmation only
    if kind == "opt_in":
        if set_opted_in(turn.session, phone, now, f"{turn.party.kind}:text"):
            turn.opted_out = False
            return confirm("opt_in", "optin.again")
        if by_twilio or normalize(turn.message.body) != "yes":
            return confirm("opt_in", "optin.again")
        return False  # a plain "yes" from someone opted in is an answer, not a keyword
    if kind == "help":
        return confirm("help", "help")
    return False
