"""Roster changes from the CLI: participant update, counselor update and deactivate."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import (
    Alert,
    AlertEvent,
    AuditEvent,
    Counselor,
    FormerPhone,
    OnCallShift,
    OutboxMessage,
    Participant,
    PhoneNumber,
)
from bot.services.alerts import raise_alert
from bot.services.oncall import add_shifts
from schedules.sweep import run_pass
from tests.conftest import START
from tests.factories import make_counselor, make_participant


def alert_for(db_session, runtime, person, level="urgent", key="k1") -> Alert:
    raised = raise_alert(db_session, runtime, participant=person, level=level, kind="triage",
                         reasons=["reported use"], summary="reported use", now=START,
                         dedupe_key=key)
    db_session.commit()
    return raised.alert


def fresh(db_session, model, row_id):
    return db_session.scalars(select(model).where(model.id == row_id)).one()


def test_participant_update_counselor_moves_open_alerts(runner, db_session, runtime):
    jordan = make_counselor(db_session, name="Jordan Lee")
    riley = make_counselor(db_session, name="Riley Chen")
    alex = make_participant(db_session, counselor=jordan)
    open_alert = alert_for(db_session, runtime, alex, key="a")
    done = alert_for(db_session, runtime, alex, key="b")
    done.state = "resolved"
    db_session.commit()
    result = runner.invoke(args=["participant", "update", alex.phone, "--counselor", riley.phone])
    assert result.exit_code == 0, result.output
    assert "counselor=Riley Chen (1 open alert(s) moved)" in result.output
    assert fresh(db_session, Participant, alex.id).counselor_id == riley.id
    assert fresh(db_session, Alert, open_alert.id).counselor_id == riley.id
    assert fresh(db_session, Alert, done.id).counselor_id == jordan.id  # history stays
    # The new counselor is told about the open alert at once.
    pages = db_session.scalars(select(OutboxMessage.to_phone).where(
        OutboxMessage.dedupe_key.like(f"alert:{open_alert.id}:moved%"))).all()
    assert pages == [riley.phone]
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "participant.counselor_changed")).detail["to_counselor"] == riley.id


def test_participant_update_phone_keeps_history_and_asks_opt_in(runner, db_session, runtime):
    alex = make_participant(db_session)
    old = alex.phone
    result = runner.invoke(args=["participant", "update", old, "--phone", "(415) 555-7777",
                                 "--name", "Lex"])
    assert result.exit_code == 0, result.output
    assert "phone=+14155557777" in result.output and "name" in result.output
    p = fresh(db_session, Participant, alex.id)
    assert (p.phone, p.name) == ("+14155557777", "Lex")
    assert db_session.scalars(select(FormerPhone.phone)).all() == [old]
    optin = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "optin")).one()
    assert optin.to_phone == "+14155557777" and "STOP" in optin.body


def test_participant_update_errors(runner, db_session):
    taken = make_counselor(db_session)
    alex = make_participant(db_session)
    gone = make_counselor(db_session, active=False)
    cases = [
        (["--phone", taken.phone], "already enrolled as a counselor"),
        (["--phone", "12"], "not a valid phone number"),
        (["--counselor", "4155559999"], "no counselor with phone +14155559999"),
        (["--counselor", gone.phone], "is deactivated"),
        (["--checkin-time", "23:30"], "outside the clinic's texting hours"),
        (["--name", " "], "needs a name"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["participant", "update", alex.phone, *args])
        assert result.exit_code == 1, args
        assert message in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert fresh(db_session, Participant, alex.id).phone == alex.phone


def test_participant_list_shows_opted_out_and_flagged(runner, db_session):
    a = make_participant(db_session)
    b = make_participant(db_session)
    make_participant(db_session)
    db_session.add_all([PhoneNumber(phone=a.phone, opted_out=True, opted_out_at=START),
                        PhoneNumber(phone=b.phone, flag="landline", flag_code=30006)])
    db_session.commit()
    statuses = [line.split("\t")[3] for line in
                runner.invoke(args=["participant", "list"]).output.splitlines()]
    assert statuses == ["active,opted-out", "active,flagged:landline", "active"]


def test_counselor_update(runner, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    result = runner.invoke(args=["counselor", "update", jordan.phone, "--name", "Jordan Lee-Park",
                                 "--phone", "415-555-8888", "--supervisor"])
    assert result.exit_code == 0, result.output
    c = fresh(db_session, Counselor, jordan.id)
    assert (c.name, c.phone, c.supervisor) == ("Jordan Lee-Park", "+14155558888", True)
    again = runner.invoke(args=["counselor", "update", "4155558888", "--not-supervisor"])
    assert again.output.strip().endswith("updated: not supervisor")
    other = make_counselor(db_session)
    clash = runner.invoke(args=["counselor", "update", other.phone, "--phone", "4155558888"])
    assert clash.exit_code == 1 and "already enrolled as a counselor" in clash.output


def test_deactivate_refused_while_counselor_has_participants(runner, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    make_participant(db_session, counselor=jordan)
    result = runner.invoke(args=["counselor", "deactivate", jordan.phone])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: Jordan Lee still has 1 participant(s): "
                                     "give --reassign-to PHONE to move them to a colleague")
    assert fresh(db_session, Counselor, jordan.id).active is True


def test_deactivate_with_reassign_moves_caseload_and_alerts(runner, db_session, runtime, clock,
                                                           twilio):
    jordan = make_counselor(db_session, name="Jordan Lee")
    riley = make_counselor(db_session, name="Riley Chen")
    alex = make_participant(db_session, counselor=jordan)
    bea = make_participant(db_session, counselor=jordan, status="discharged")
    add_shifts(db_session, jordan, "all", "00:00-00:00", now=START)
    alert = alert_for(db_session, runtime, alex, level="crisis")
    pending_page = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_phone == jordan.phone)).first()
    assert pending_page is not None and pending_page.state == "pending"

    result = runner.invoke(args=["counselor", "deactivate", jordan.phone,
                                 "--reassign-to", riley.phone])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"counselor {jordan.id} deactivated; 1 participant(s) and "
                                     "1 open alert(s) moved to Riley Chen")
    assert fresh(db_session, Counselor, jordan.id).active is False
    assert fresh(db_session, Participant, alex.id).counselor_id == riley.id
    assert fresh(db_session, Participant, bea.id).counselor_id == jordan.id  # history
    assert fresh(db_session, Alert, alert.id).counselor_id == riley.id
    assert fresh(db_session, OutboxMessage, pending_page.id).state == "cancelled"
    assert db_session.scalars(select(OnCallShift)).all() == []
    # The ladder climbs for an hour: Jordan is never texted again.
    for _ in range(6):
        clock.advance(minutes=10)
        run_pass(runtime)
    assert jordan.phone not in {m["to"] for m in twilio.messages}
    assert riley.phone in {m["to"] for m in twilio.messages}
    told = db_session.scalars(select(AlertEvent.counselor_id).where(
        AlertEvent.alert_id == alert.id, AlertEvent.outbox_id.is_not(None))).all()
    assert riley.id in told


def test_deactivate_errors(runner, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    gone = make_counselor(db_session, name="Pat Gone", active=False)
    make_participant(db_session, counselor=jordan)
    same = runner.invoke(args=["counselor", "deactivate", jordan.phone,
                               "--reassign-to", jordan.phone])
    assert same.exit_code == 1 and "another counselor" in same.output
    to_gone = runner.invoke(args=["counselor", "deactivate", jordan.phone,
                                  "--reassign-to", gone.phone])
    assert to_gone.exit_code == 1 and "Pat Gone is deactivated" in to_gone.output
    twice = runner.invoke(args=["counselor", "deactivate", gone.phone])
    assert twice.exit_code == 1 and "already deactivated" in twice.output
    unknown = runner.invoke(args=["counselor", "deactivate", jordan.phone,
                                  "--reassign-to", "4155559999"])
    assert unknown.output.strip() == "Error: no counselor with phone +14155559999"


def test_counselor_without_caseload_deactivates_and_lists_inactive(runner, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    assert runner.invoke(args=["counselor", "deactivate", jordan.phone]).exit_code == 0
    line = runner.invoke(args=["counselor", "list"]).output.strip()
    assert line.split("\t")[3] == "inactive"


def test_discharge_with_reason_and_readmit(runner, db_session, clock):
    jordan = make_counselor(db_session, name="Jordan Lee")
    riley = make_counselor(db_session, name="Riley Chen")
    alex = make_participant(db_session, counselor=jordan)
    bad = runner.invoke(args=["participant", "discharge", alex.phone, "--reason", "relapse"])
    assert bad.exit_code == 2 and "Invalid value for '--reason'" in bad.output
    done = runner.invoke(args=["participant", "discharge", alex.phone, "--reason", "completed"])
    assert done.exit_code == 0, done.output
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "participant.discharged"))
    assert event.detail == {"reason": "completed"}

    active = make_participant(db_session)
    refused = runner.invoke(args=["participant", "readmit", active.phone])
    assert refused.exit_code == 1 and "is not discharged" in refused.output
    runner.invoke(args=["counselor", "deactivate", jordan.phone])  # no caseload left
    refused = runner.invoke(args=["participant", "readmit", alex.phone])
    assert refused.output.strip() == ("Error: their counselor Jordan Lee is deactivated: "
                                      "give --counselor PHONE")
    clock.advance(days=3)
    result = runner.invoke(args=["participant", "readmit", alex.phone, "--counselor",
                                 riley.phone])
    assert result.exit_code == 0, result.output
    p = fresh(db_session, Participant, alex.id)
    assert (p.status, p.discharged_at, p.counselor_id) == ("active", None, riley.id)
    assert p.consent_at == clock() and p.consent_source == "re-admission by staff (CLI)"
    optin = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "optin")).one()
    assert optin.to_phone == alex.phone and optin.state == "pending"
