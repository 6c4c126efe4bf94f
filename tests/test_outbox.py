"""The outbox: dedupe keys, cancellation, opt-out lookups, and commits with their cause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.models import OutboxMessage, PhoneNumber
from bot.outbox import cancel_pending, enqueue, is_opted_out

PHONE = "+14155550188"


def count(db_session) -> int:
    """Rows in the outbox."""
    return db_session.scalar(select(func.count()).select_from(OutboxMessage))


def test_enqueue_returns_the_row_with_defaults(runtime, clock):
    with runtime.Session() as s, s.begin():
        row = enqueue(s, to=PHONE, body="hi", kind="test", dedupe_key="k1", now=clock())
        assert (row.state, row.attempts, row.not_before, row.channel, row.maybe_sent) == (
            "pending", 0, clock(), "sms", False)
        assert row.id is not None


def test_same_dedupe_key_is_queued_once(runtime, clock, db_session):
    with runtime.Session() as s, s.begin():
        assert enqueue(s, to=PHONE, body="a", kind="t", dedupe_key="k", now=clock())
        assert enqueue(s, to=PHONE, body="b", kind="t", dedupe_key="k", now=clock()) is None
    with runtime.Session() as s, s.begin():
        assert enqueue(s, to=PHONE, body="c", kind="t", dedupe_key="k", now=clock()) is None
    assert count(db_session) == 1
    assert db_session.scalars(select(OutboxMessage)).one().body == "a"


def test_rows_commit_with_the_change_that_caused_them(runtime, clock, db_session):
    with pytest.raises(RuntimeError), runtime.Session() as s, s.begin():
        enqueue(s, to=PHONE, body="a", kind="t", dedupe_key="k", now=clock())
        raise RuntimeError("the cause failed")
    assert count(db_session) == 0


def test_cancel_pending_only_touches_pending_rows(runtime, clock, db_session):
    with runtime.Session() as s, s.begin():
        for key in ("a", "b", "c"):
            enqueue(s, to=PHONE, body=key, kind="t", dedupe_key=key, now=clock())
        enqueue(s, to="+14155550189", body="other", kind="t", dedupe_key="d", now=clock())
        s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "a")).one().state = (
            "sent")
    with runtime.Session() as s, s.begin():
        n = cancel_pending(s, where=OutboxMessage.to_phone == PHONE, reason="because")
    assert n == 2
    states = dict(db_session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.state)).all())
    assert states == {"a": "sent", "b": "cancelled", "c": "cancelled", "d": "pending"}


def test_is_opted_out(runtime, clock, db_session):
    with runtime.Session() as s:
        assert not is_opted_out(s, PHONE)
    db_session.add(PhoneNumber(phone=PHONE, opted_out=True, opted_out_at=clock()))
    db_session.flush()
    with runtime.Session() as s:
        assert is_opted_out(s, PHONE)
        assert not is_opted_out(s, "+14155550189")


def test_timestamps_round_trip_as_aware_utc(runtime, clock, db_session):
    later = clock() + timedelta(hours=3)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=PHONE, body="x", kind="t", dedupe_key="z", now=clock(), not_before=later)
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.not_before == later
    assert row.not_before.utcoffset() == timedelta(0)
