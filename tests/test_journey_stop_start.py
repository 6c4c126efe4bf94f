"""Journey: STOP in the middle of check-ins, days of silence, then START."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import Alert
from bot.models.schedule import CheckIn, Fire
from schedules.sweep import run_pass
from tests.conftest import START
from tests.factories import make_participant


def hourly(runtime, clock, hours: int) -> None:
    """Run the clock's pass every hour for `hours` hours from the current time."""
    begin = clock.current
    for h in range(1, hours + 1):
        run_pass(runtime, clock.set(begin + timedelta(hours=h)), paced=False)


def test_stop_mid_checkin_no_false_missed_alert_and_start_resumes(
    runtime, clock, db_session, twilio, text_in
):
    alex = make_participant(db_session, checkin_time="10:00")  # START is 10:00 in New York
    run_pass(runtime, clock.set(START), paced=False)
    assert [m["to"] for m in twilio.messages] == [alex.phone]  # today's first question
    text_in(alex.phone, "STOP")
    hourly(runtime, clock, 24 * 5)
    assert [m["to"] for m in twilio.messages] == [alex.phone]  # nothing more to them
    # Only the check-in actually asked exists; no counselor is told of "3 missed check-ins".
    assert len(db_session.scalars(select(CheckIn)).all()) == 1
    assert db_session.scalars(select(Alert)).all() == []
    dropped = db_session.scalars(select(Fire.reason).where(Fire.state == "dropped")).all()
    assert dropped and set(dropped) == {"recipient opted out"}

    text_in(alex.phone, "START")
    twilio.clear()
    hourly(runtime, clock, 24)
    assert [m["to"] for m in twilio.messages] == [alex.phone]
    assert "0-10" in twilio.messages[0]["body"]
