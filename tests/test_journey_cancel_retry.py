"""Cancelling a session withdraws its reminder even after Twilio bounced it into a retry."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.models import OutboxMessage
from bot.models.schedule import TherapySession
from schedules.sweep import run_pass
from tests.factories import make_group, make_participant

TWO_HOURS_BEFORE = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # Thu 18:00 New York group


def test_cancel_withdraws_a_reminder_queued_for_redelivery(
    runtime, clock, db_session, twilio, post_twilio, runner
):
    group = make_group(db_session, name="Evening", weekly="mon,wed,thu 18:00-21:00")
    person = make_participant(db_session, group_id=group.id, checkin_time="09:30")
    run_pass(runtime, clock.set(TWO_HOURS_BEFORE), paced=False)
    reminder = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_phone == person.phone, OutboxMessage.kind == "reminder")).one()
    assert reminder.state == "sent"

    bounced = post_twilio("/twilio/status", MessageSid=reminder.twilio_sid,
                          MessageStatus="undelivered", ErrorCode="30003")
    assert bounced.status_code == 204
    retry = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"{reminder.dedupe_key}#retry1")).one()
    assert retry.state == "pending"

    thursday = db_session.scalar(select(TherapySession.id).where(
        TherapySession.group_id == group.id, TherapySession.starts_at > TWO_HOURS_BEFORE)
        .order_by(TherapySession.starts_at).limit(1))
    result = runner.invoke(args=["session", "cancel", str(thursday)])
    assert result.exit_code == 0, result.output
    assert db_session.get(OutboxMessage, retry.id, populate_existing=True).state == "cancelled"
    twilio.clear()
    run_pass(runtime, clock.advance(minutes=10), paced=False)
    assert not any("Reminder" in m["body"] for m in twilio.messages)
