"""A small clinic for the calendar and attendance pages (imported by their test modules).

The clock starts on Thursday 26 Nov 2026, 10:00 in New York (the clinic's zone). The group
"Evening" meets mon,wed,thu 18:00-21:00: Alex (Jordan's) and Bea (Sam's) are in it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, OutboxMessage
from tests.factories import make_counselor, make_group, make_participant

__all__ = ["boss", "clinic", "jordan"]  # the fixtures: `from ... import *` registers them
TOTP = "JBSWY3DPEHPK3PXP"  # supervisors must have a second factor enrolled


@pytest.fixture
def clinic(db_session):
    """Two counselors, a weekly group with one member of each, and a participant of each
    outside the group."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    group = make_group(db_session, name="Evening", weekly="mon,wed,thu 18:00-21:00",
                       location="Room 2")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera", group_id=group.id)
    bea = make_participant(db_session, counselor=sam, name="Bea Stone", group_id=group.id)
    chris = make_participant(db_session, counselor=jordan, name="Chris Moreno")
    dana = make_participant(db_session, counselor=sam, name="Dana Whit")
    return {"jordan": jordan, "sam": sam, "group": group, "alex": alex, "bea": bea,
            "chris": chris, "dana": dana}


@pytest.fixture
def jordan(console_client, clinic):
    """Jordan, a counselor, signed in."""
    return console_client(role="counselor", counselor=clinic["jordan"], name="Jordan Lee")


@pytest.fixture
def boss(console_client, clinic):
    """Pat, a supervisor, signed in."""
    return console_client(role="supervisor", name="Pat Kim", totp_secret=TOTP)


def html(response) -> str:
    """The page's text."""
    return response.get_data(as_text=True)


def texts_to(db_session, phone: str, kind: str) -> list[str]:
    """Bodies of outbox rows of `kind` queued to `phone`."""
    return list(db_session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.to_phone == phone, OutboxMessage.kind == kind)))


def actions_by(db_session, actor: str, action: str) -> list[AuditEvent]:
    """Audit events of `action` recorded with `actor`."""
    return list(db_session.scalars(select(AuditEvent).where(
        AuditEvent.actor == actor, AuditEvent.action == action)))
