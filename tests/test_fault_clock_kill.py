"""Fault drill: kill -9 of a real clock process mid-drain, then a new clock.

Zero lost, zero duplicates, and the texts the dead clock held go out without waiting for the
5-minute lease. The exact recovery time is reported by tests/bench/bench_clock_kill.py; here it is
only bounded loosely.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import make_engine
from bot.models import OutboxMessage
from tests.faults import kill_clock_mid_drain
from tests.twilio_fake import FakeTwilio


def test_kill_9_of_the_clock_mid_drain_loses_nothing_and_sends_nothing_twice(
    database_url, tmp_path
):
    with FakeTwilio(latency_ms=30) as fake:
        report = kill_clock_mid_drain(database_url, fake, tmp_path, texts=30, kill_after=8)
    assert report.before_kill < report.queued  # it really died mid-drain
    assert (report.accepted, report.duplicates) == (30, 0)
    assert report.recovery_seconds is not None and report.recovery_seconds < 60  # not 5 min
    engine = make_engine(database_url)
    with engine.connect() as conn:
        states = dict(conn.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    engine.dispose()
    assert states == {"sent": 30}
