"""Staff texts about concern-level alerts wait for texting hours; crisis and urgent never wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.models import OutboxMessage
from bot.services.alerts import raise_alert
from tests.factories import make_counselor, make_participant

NIGHT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 02:00 in New York (the clinic's zone)
NEXT_OPENING = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 09:00 New York


@pytest.mark.parametrize(("level", "expected"), [
    ("concern", NEXT_OPENING), ("urgent", NIGHT), ("crisis", NIGHT),
])
def test_staff_text_timing_by_level(runtime, db_session, level, expected):
    counselor = make_counselor(db_session)
    participant = make_participant(db_session, counselor=counselor)
    with runtime.Session() as session, session.begin():
        raised = raise_alert(
            session, runtime, participant=session.merge(participant), level=level,
            kind="test", reasons=["x"], summary="needs a look", now=NIGHT,
            dedupe_key=f"t:{level}",
        )
    row = db_session.get(OutboxMessage, raised.outbox_ids[0])
    assert row.to_phone == counselor.phone
    assert row.not_before == expected


def test_concern_by_day_goes_at_once(runtime, db_session, clock):
    participant = make_participant(db_session)
    with runtime.Session() as session, session.begin():
        raise_alert(session, runtime, participant=session.merge(participant), level="concern",
                    kind="test", reasons=["x"], summary="s", now=clock(), dedupe_key="day")
    rows = db_session.scalars(select(OutboxMessage)).all()
    assert [r.not_before for r in rows] == [clock()]
