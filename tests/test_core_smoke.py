from __future__ import annotations

from sqlalchemy import select

from bot.models import MessageLog, Participant
from bot.sending import drain


def test_enrol_and_text(runner, runtime, db_session, twilio, text_in):
    r = runner.invoke(args=["counselor", "add", "--name", "Sam Ortiz", "--phone", "415-555-0199"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        args=[
            "participant",
            "add",
            "--name",
            "Alex R",
            "--phone",
            "(415) 555-0123",
            "--counselor",
            "+14155550199",
            "--timezone",
            "America/Chicago",
        ]
    )
    assert r.exit_code == 0, r.output
    p = db_session.scalars(select(Participant)).one()
    assert p.phone == "+14155550123"
    report = drain(runtime)
    assert report.sent == 1
    assert twilio.messages[0]["to"] == "+14155550123"
    assert "STOP" in twilio.messages[0]["body"]
    resp = text_in("+14155550123", "STOP")
    assert resp.status_code == 200
    assert "won't get more texts" in resp.get_data(as_text=True)
    resp = text_in("+14155550123", "hello")
    assert "<Message>" not in resp.get_data(as_text=True)
    assert (
        db_session.scalar(select(MessageLog).where(MessageLog.body == "hello")).state == "processed"
    )
