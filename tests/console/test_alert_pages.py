"""The alert queue and alert page: the participant's words, scope, ACK and resolve."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import Alert, AlertEvent, AuditEvent
from tests.conftest import START
from tests.console.conftest import make_alert
from tests.factories import make_counselor, make_participant


def team(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    maria = make_participant(db_session, counselor=sam, name="Maria Diaz")
    return jordan, sam, alex, maria


def test_queue_is_crisis_first_newest_first_with_the_words(console_client, db_session):
    jordan, _sam, alex, _maria = team(db_session)
    make_alert(db_session, alex, level="concern", text="skipped group, tired",
               created_at=START + timedelta(minutes=30), reasons=["missed session"])
    make_alert(db_session, alex, level="crisis", text="I don't want to be here anymore",
               created_at=START, reasons=["suicidal ideation"])
    make_alert(db_session, alex, level="urgent", text="used last night",
               created_at=START + timedelta(minutes=10))
    client = console_client(role="counselor", counselor=jordan)
    html = client.get("/console/alerts").get_data(as_text=True)
    order = [html.index(w) for w in ("I don&#39;t want to be here anymore", "used last night",
                                     "skipped group, tired")]
    assert order == sorted(order)
    assert "Alex Rivera" in html and "suicidal ideation" in html and "first notice sent" in html


def test_counselor_sees_only_their_reach_and_others_are_404(console_client, db_session):
    jordan, _sam, alex, maria = team(db_session)
    mine = make_alert(db_session, alex, text="rough day")
    theirs = make_alert(db_session, maria, text="private words of someone else")
    client = console_client(role="counselor", counselor=jordan)
    html = client.get("/console/alerts").get_data(as_text=True)
    assert "rough day" in html and "private words" not in html
    assert client.get(f"/console/alerts/{mine.id}").status_code == 200
    assert client.get(f"/console/alerts/{theirs.id}").status_code == 404
    assert client.get("/console/alerts/999999").status_code == 404
    assert client.post_form(f"/console/alerts/{theirs.id}/ack").status_code == 404
    assert db_session.get(Alert, theirs.id).state == "open"


def test_supervisor_sees_all_and_admin_none(console_client, db_session):
    _jordan, _sam, alex, maria = team(db_session)
    make_alert(db_session, alex, text="words one")
    other = make_alert(db_session, maria, text="words two")
    boss = console_client(role="supervisor", totp_secret="JBSWY3DPEHPK3PXP")
    html = boss.get("/console/alerts").get_data(as_text=True)
    assert "words one" in html and "words two" in html
    admin = console_client(role="admin", totp_secret="JBSWY3DPEHPK3PXP")
    assert admin.get("/console/alerts").status_code == 403
    assert admin.get(f"/console/alerts/{other.id}").status_code == 403
    assert admin.post_form(f"/console/alerts/{other.id}/ack").status_code == 403


def test_signed_out_alert_pages(client, db_session):
    _jordan, _sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="x")
    assert client.get(f"/console/alerts/{alert.id}").status_code == 302
    assert client.post(f"/console/alerts/{alert.id}/ack").status_code == 401
    assert client.post(f"/console/alerts/{alert.id}/resolve").status_code == 401


def test_ack_from_the_console_is_the_sms_ack_with_the_staff_actor(console_client, db_session,
                                                                  twilio):
    jordan, sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="I want to end it", notified=[jordan, sam])
    client = console_client(role="counselor", counselor=jordan)
    page = client.get(f"/console/alerts/{alert.id}").get_data(as_text=True)
    assert "I want to end it" in page and "Acknowledge" in page
    response = client.post_form(f"/console/alerts/{alert.id}/ack")
    assert response.status_code == 302
    stored = db_session.get(Alert, alert.id)
    assert stored.state == "acknowledged" and stored.deadline_at is None
    assert stored.acknowledged_by == jordan.id
    assert stored.acknowledged_by_staff_id == client.staff.id
    event = db_session.scalar(select(AlertEvent).where(AlertEvent.action == "acknowledged"))
    assert event.staff_id == client.staff.id and event.detail == "console"
    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "alert.acknowledged"))
    assert audit.staff_id == client.staff.id and audit.participant_id == alex.id
    # Sam, who was paged too, is told Jordan has it (the same text as after an SMS ACK)
    from bot.models import OutboxMessage

    told = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_phone == sam.phone))
    assert told is not None and "Jordan Lee" in told.body
    again = client.get(f"/console/alerts/{alert.id}").get_data(as_text=True)
    assert "Acknowledged</span> by you" in again


def test_ack_after_someone_else_says_who(console_client, db_session):
    jordan, sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="help", notified=[jordan, sam])
    sams = console_client(role="counselor", counselor=sam)
    jordans = console_client(role="counselor", counselor=jordan)
    sams.post_form(f"/console/alerts/{alert.id}/ack")
    queue = jordans.get("/console/alerts").get_data(as_text=True)
    assert "<strong>Sam Ortiz</strong>" in queue
    late = jordans.post_form(f"/console/alerts/{alert.id}/ack", follow_redirects=True)
    assert "already acknowledged by Sam Ortiz" in late.get_data(as_text=True)
    assert db_session.get(Alert, alert.id).acknowledged_by_staff_id == sams.staff.id


def test_resolve_with_a_note(console_client, db_session):
    jordan, _sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="not ok")
    client = console_client(role="counselor", counselor=jordan)
    client.post_form(f"/console/alerts/{alert.id}/resolve", {"note": "Called; safe; seeing tmrw"})
    stored = db_session.get(Alert, alert.id)
    assert stored.state == "resolved" and stored.note == "Called; safe; seeing tmrw"
    assert stored.resolved_by_staff_id == client.staff.id
    assert stored.acknowledged_by_staff_id == client.staff.id
    page = client.get(f"/console/alerts/{alert.id}").get_data(as_text=True)
    assert "Resolved" in page and "Called; safe; seeing tmrw" in page
    assert "Acknowledge" not in page.split("What happened")[0].split("Why this alert")[1]


def test_supervisor_without_counselor_row_can_ack(console_client, db_session):
    _jordan, _sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="x")
    boss = console_client(role="supervisor", totp_secret="JBSWY3DPEHPK3PXP", name="Pat Kim")
    boss.post_form(f"/console/alerts/{alert.id}/ack")
    stored = db_session.get(Alert, alert.id)
    assert stored.state == "acknowledged" and stored.acknowledged_by is None
    assert "by you" in boss.get("/console/alerts").get_data(as_text=True)


def test_sms_ack_still_works_and_shows_in_the_console(console_client, db_session, text_in):
    jordan, _sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="x", notified=[jordan])
    text_in(jordan.phone, f"ACK {alert.id}")
    assert db_session.get(Alert, alert.id).acknowledged_by == jordan.id
    boss = console_client(role="supervisor", totp_secret="JBSWY3DPEHPK3PXP")
    assert "<strong>Jordan Lee</strong>" in boss.get("/console/alerts").get_data(as_text=True)


def test_every_view_is_audited_with_staff_participant_and_page(console_client, db_session):
    jordan, _sam, alex, _maria = team(db_session)
    alert = make_alert(db_session, alex, text="x")
    client = console_client(role="counselor", counselor=jordan)
    client.get("/console/alerts")
    client.get(f"/console/alerts/{alert.id}")
    views = list(db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "console.view").order_by(AuditEvent.id)))
    assert [(v.staff_id, v.participant_id, v.page) for v in views] == [
        (client.staff.id, alex.id, "/console/alerts"),
        (client.staff.id, alex.id, f"/console/alerts/{alert.id}"),
    ]


def test_unknown_number_crisis_shows_without_a_name(console_client, db_session):
    on_call = make_counselor(db_session, name="Sam Ortiz", on_call=True)
    alert = Alert(dedupe_key="u1", phone="+14155550177", level="crisis", kind="triage",
                  reasons=["suicidal ideation"], state="open", step=0, created_at=START)
    db_session.add(alert)
    db_session.flush()
    client = console_client(role="counselor", counselor=on_call)
    html = client.get("/console/alerts").get_data(as_text=True)
    assert "Unknown number ending 0177" in html
    assert client.get(f"/console/alerts/{alert.id}").status_code == 200
    bystander = console_client(role="counselor")
    assert bystander.get(f"/console/alerts/{alert.id}").status_code == 404


def test_background_refresh_audits_only_names_not_shown_lately(console_client, db_session):
    jordan, _sam, alex, _maria = team(db_session)
    make_alert(db_session, alex, text="x")
    client = console_client(role="counselor", counselor=jordan)
    poll = {"X-Console-Poll": "1"}

    def views():
        return list(db_session.scalars(select(AuditEvent.participant_id).where(
            AuditEvent.action == "console.view").order_by(AuditEvent.id)))

    client.get("/console/alerts")
    client.get("/console/alerts", headers=poll)
    assert views() == [alex.id]  # the refresh showed nothing new
    newcomer = make_participant(db_session, counselor=jordan, name="Kim Lee")
    make_alert(db_session, newcomer, text="y")
    client.get("/console/alerts", headers=poll)
    assert views() == [alex.id, newcomer.id]
    client.get("/console/alerts")  # a real visit is always recorded
    assert views().count(alex.id) == 2
