"""The whole ladder under a controlled clock, restarts, opt-outs, and other alert kinds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.app import build_runtime
from bot.models import Alert, AlertEvent, AuditEvent
from bot.services.alerts import raise_alert
from schedules.sweep import run_pass
from tests.factories import make_care_team


@pytest.fixture
def people(db_session):
    """Assigned, on-call and supervisor counselors, and a participant."""
    return make_care_team(db_session)


@pytest.fixture
def say(text_in):
    """Text the bot and close the response (so immediate pages go out, as under gunicorn)."""

    def send(phone: str, text: str):
        response = text_in(phone, text)
        response.close()
        return response.get_data(as_text=True)

    return send


def fetch(db_session, alert_id: int) -> Alert:
    """A fresh read of an alert (session.get would return the cached object)."""
    return db_session.scalars(select(Alert).where(Alert.id == alert_id)).one()


def recipients(twilio) -> list[str]:
    return [m["to"] for m in twilio.messages]


def test_crisis_ladder_resend_then_on_call_then_supervisors(
    say, runtime, clock, db_session, twilio, people
):
    assigned, on_call, boss = people["assigned"], people["on_call"], people["boss"]
    say(people["alex"].phone, "I want to kill myself")
    alert = db_session.scalars(select(Alert)).one()
    assert sorted(recipients(twilio)) == sorted([assigned.phone, on_call.phone])
    twilio.clear()

    clock.advance(minutes=9)
    run_pass(runtime)
    assert twilio.messages == []  # not yet due

    clock.advance(minutes=2)  # 11 min: re-sent to the people first paged
    run_pass(runtime)
    assert sorted(recipients(twilio)) == sorted([assigned.phone, on_call.phone])
    assert all(m["body"].startswith("Reminder, not acknowledged yet: Alert") for m in
               twilio.messages)
    twilio.clear()

    clock.advance(minutes=11)  # 22 min: the on-call counselor(s)
    run_pass(runtime)
    assert recipients(twilio) == [on_call.phone]
    assert "Not acknowledged after 22 min" in twilio.messages[0]["body"]
    twilio.clear()

    clock.advance(minutes=11)  # 33 min: supervisors
    run_pass(runtime)
    assert recipients(twilio) == [boss.phone]
    assert twilio.messages[0]["body"] == (
        f"Alert {alert.id} CRISIS: Alex R. suicidal language. Not acknowledged after 33 min. "
        f"Reply ACK {alert.id}")
    twilio.clear()

    clock.advance(hours=5)  # end of the ladder: nothing more, but the alert stays open
    run_pass(runtime)
    assert twilio.messages == []
    alert = fetch(db_session, alert.id)
    assert (alert.state, alert.step, alert.deadline_at) == ("open", 3, None)
    actions = db_session.scalars(select(AlertEvent.action).where(AlertEvent.alert_id == alert.id)
                                 .order_by(AlertEvent.id)).all()
    assert actions == ["created", "notified", "notified", "resent", "resent", "escalated",
                       "escalated"]
    audited = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id))
    assert audited == 7  # raised, 2 notified, 2 resent, 2 escalated


def test_ack_by_text_stops_the_ladder(say, runtime, clock, db_session, twilio, people):
    say(people["alex"].phone, "I want to kill myself")
    alert = db_session.scalars(select(Alert)).one()
    clock.advance(minutes=3)
    assert f"Alert {alert.id} acknowledged" in say(people["assigned"].phone, f"ack {alert.id}")
    twilio.clear()
    clock.advance(hours=2)
    run_pass(runtime)
    # Only the notice to the on-call counselor that Jordan has it; no re-send, no escalation.
    assert [(m["to"], m["body"]) for m in twilio.messages] == [
        (people["on_call"].phone, f"Alert {alert.id} (Alex R.) was acknowledged by Jordan Lee.")]
    acked = fetch(db_session, alert.id)
    assert (acked.state, acked.step, acked.deadline_at) == ("acknowledged", 0, None)
    assert acked.acknowledged_by == people["assigned"].id


def test_urgent_ladder_every_30_minutes(say, runtime, clock, db_session, twilio, people):
    reply = say(people["alex"].phone, "I used last night")
    assert "let your counselor know" in reply
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.kind) == ("urgent", "free_text")
    run_pass(runtime)  # the urgent page goes out on the next pass (not paged inline)
    assert recipients(twilio) == [people["assigned"].phone]
    twilio.clear()
    clock.advance(minutes=29)
    run_pass(runtime)
    assert twilio.messages == []
    clock.advance(minutes=2)
    run_pass(runtime)
    assert recipients(twilio) == [people["assigned"].phone]
    clock.advance(minutes=31)
    run_pass(runtime)
    assert recipients(twilio)[-1] == people["on_call"].phone


def test_concern_friday_evening_waits_until_monday_0930(
    say, runtime, clock, db_session, twilio, people
):
    clock.set(datetime(2026, 11, 28, 0, 30, tzinfo=UTC))  # Friday 19:30 in New York
    say(people["alex"].phone, "I want to quit the program")
    alert = db_session.scalars(select(Alert)).one()
    assert alert.level == "concern"
    assert alert.deadline_at == datetime(2026, 11, 30, 14, 30, tzinfo=UTC)  # Mon 09:30 NY
    run_pass(runtime)
    twilio.clear()
    clock.set(datetime(2026, 11, 30, 14, 29, tzinfo=UTC))  # all weekend: nothing
    run_pass(runtime)
    assert twilio.messages == []
    clock.set(datetime(2026, 11, 30, 14, 31, tzinfo=UTC))
    run_pass(runtime)
    assert recipients(twilio) == [people["assigned"].phone]


def test_alerts_survive_a_restart(settings, runtime, clock, db_session, twilio, people):
    with runtime.Session() as session, session.begin():
        raised = raise_alert(
            session, runtime, participant=session.get(type(people["alex"]), people["alex"].id),
            level="urgent", kind="missed_checkins", reasons=["3 check-ins missed"],
            summary="missed 3 check-ins", now=clock(), dedupe_key="missed:1:2026-11-26",
        )
        alert_id = raised.alert.id
    runtime.engine.dispose()  # the old processes are gone

    fresh = build_runtime(settings, clock=clock)  # a new process on the same database
    try:
        run_pass(fresh)
        assert twilio.messages[0]["body"] == (
            f"Alert {alert_id} URGENT: Alex R. missed 3 check-ins. Reply ACK {alert_id}")
        twilio.clear()
        clock.advance(minutes=31)
        report = run_pass(fresh)
        assert report.counts["alerts.escalated"] == 1
        assert recipients(twilio) == [people["assigned"].phone]
        assert fetch(db_session, alert_id).step == 1
    finally:
        fresh.engine.dispose()


def test_raise_alert_dedupe_key_raises_once(runtime, clock, people):
    with runtime.Session() as session, session.begin():
        alex = session.get(type(people["alex"]), people["alex"].id)
        kwargs = dict(participant=alex, level="concern", kind="absence", reasons=["missed group"],
                      summary="missed group", now=clock(), dedupe_key="absence:1:2026-11-26")
        assert raise_alert(session, runtime, **kwargs) is not None
        assert raise_alert(session, runtime, **kwargs) is None


def test_opted_out_participant_alert_keeps_escalating(
    say, runtime, clock, db_session, twilio, people
):
    say(people["alex"].phone, "I want to kill myself")
    say(people["alex"].phone, "STOP")
    twilio.clear()
    for _ in range(3):
        clock.advance(minutes=11)
        run_pass(runtime)
    assert people["boss"].phone in recipients(twilio)
    assert people["alex"].phone not in recipients(twilio)
    assert db_session.scalars(select(Alert)).one().step == 3


def test_step_with_nobody_is_skipped_to_the_next(say, runtime, clock, db_session, twilio,
                                                 people):
    people["on_call"].on_call = False
    db_session.commit()
    say(people["alex"].phone, "I want to kill myself")
    assert recipients(twilio) == [people["assigned"].phone]
    twilio.clear()
    clock.advance(minutes=11)
    run_pass(runtime)  # resend
    clock.advance(minutes=11)
    run_pass(runtime)  # on_call: nobody, so the supervisors at once
    assert recipients(twilio) == [people["assigned"].phone, people["boss"].phone]
    events = db_session.scalars(select(AlertEvent.action)).all()
    assert "skipped" in events
