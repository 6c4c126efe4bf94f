"""Builders for test rows: make_participant(db_session, **overrides) and friends."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.models import Counselor, Group, Participant

_numbers = itertools.count(1)


def next_phone() -> str:
    """A fresh valid US mobile-looking number in E.164.

    Drawn from 555-2000..6999 only: tests write their own fixed numbers outside that range
    (0000-1999, 7777 and up), and a factory number must never equal one of them, whatever
    the order the tests ran in."""
    return f"+1415555{2000 + next(_numbers) % 5000:04d}"


def make_counselor(session: Session, **overrides) -> Counselor:
    """A counselor row."""
    values = {"name": "Jordan Lee", "phone": next_phone(), "on_call": False,
              "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    values.update(overrides)
    counselor = Counselor(**values)
    session.add(counselor)
    session.flush()
    return counselor


def make_group(session: Session, **overrides) -> Group:
    """A group row."""
    values = {"name": f"Group {next(_numbers)}", "timezone": "America/New_York",
              "weekly": "mon,wed,thu 18:00-21:00"}
    values.update(overrides)
    group = Group(**values)
    session.add(group)
    session.flush()
    return group


def make_participant(session: Session, **overrides) -> Participant:
    """An active participant with consent on file (no opt-in text is queued)."""
    counselor = overrides.pop("counselor", None) or make_counselor(session)
    values = {
        "name": "Alex Rivera", "phone": next_phone(), "timezone": "America/New_York",
        "language": "en", "counselor_id": counselor.id, "status": "active",
        "checkin_time": "17:00", "consent_at": datetime(2026, 1, 1, tzinfo=UTC),
        "consent_source": "test", "channel": "sms",
    }
    values.update(overrides)
    participant = Participant(**values)
    session.add(participant)
    session.flush()
    return participant


def make_care_team(session: Session) -> dict:
    """An assigned counselor, an on-call counselor, a supervisor and one participant."""
    assigned = make_counselor(session, name="Jordan Lee")
    on_call = make_counselor(session, name="Sam Ortiz", on_call=True)
    boss = make_counselor(session, name="Pat Kim", supervisor=True)
    alex = make_participant(session, counselor=assigned, name="Alex Rivera")
    return {"assigned": assigned, "on_call": on_call, "boss": boss, "alex": alex}
