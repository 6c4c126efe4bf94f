"""The delivery problems page, and the banner while an account-level error stops all texts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import AccountProblem, AuditEvent, OutboxMessage
from bot.outbox import enqueue
from bot.sending import drain
from bot.services.delivery import note_account_error
from tests.factories import make_counselor, make_participant

TOTP = "JBSWY3DPEHPK3PXP"
BANNER = 'class="account-blocked"'


@pytest.fixture
def boss(console_client):
    """A signed-in supervisor."""
    return console_client(role="supervisor", name="Pat Kim", totp_secret=TOTP)


def queue(runtime, to: str, tag: str) -> None:
    with runtime.Session() as s, s.begin():
        enqueue(s, to=to, body="Reminder: group Tue 6pm", kind="test", dedupe_key=f"t:{tag}",
                now=runtime.now())


def section(html: str, heading: str) -> str:
    return html.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def test_opted_out_and_flagged_numbers_with_whose_they_are(boss, db_session, runtime, twilio,
                                                           text_in):
    alex = make_participant(db_session, name="Alex Rivera")
    dee = make_participant(db_session, name="Dee Fox")
    text_in(alex.phone, "STOP")
    queue(runtime, dee.phone, "landline")
    queue(runtime, "+14155550777", "nobody")
    twilio.fail_next(400, 30006, to=dee.phone)
    twilio.fail_next(400, 21211, to="+14155550777")
    drain(runtime)
    html = boss.get("/console/delivery").get_data(as_text=True)
    opted = section(html, "Numbers that opted out")
    assert alex.phone in opted and f"/console/participants/{alex.id}" in opted
    assert "Thu 26 Nov 10:00" in opted and "<td>text</td>" in opted  # clinic time, by text
    flagged = section(html, "Numbers Twilio flagged")
    dee_row = flagged.split(dee.phone, 1)[1].split("</tr>", 1)[0]
    assert f"participant {dee.id} Dee Fox" in dee_row and "landline: cannot get texts" in dee_row
    assert "30006" in dee_row and f"/console/participants/{dee.id}" in dee_row
    assert "not a valid number" in flagged and "+14155550777" in flagged
    assert "None: the Twilio account is sending." in section(html, "Account-level errors")
    assert BANNER not in html
    # Showing participants' numbers is a view of their data: audited under the supervisor.
    seen = set(db_session.scalars(select(AuditEvent.participant_id).where(
        AuditEvent.action == "console.view", AuditEvent.actor == f"console:{boss.staff.id}",
        AuditEvent.page == "/console/delivery")))
    assert seen == {alex.id, dee.id}


def test_account_error_banner_until_marked_fixed(boss, console_client, db_session, runtime,
                                                 twilio, clock):
    chief = make_counselor(db_session, name="Chris Chief", supervisor=True)
    queue(runtime, "+14155550701", "a")
    queue(runtime, "+14155550702", "b")
    twilio.fail_next(400, 30034, times=10, message="unregistered 10DLC")
    drain(runtime)
    # One text to the supervisors, however often the error is seen.
    notices = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "staff.notice")).all()
    assert [n.to_phone for n in notices] == [chief.phone]
    admin = console_client(role="admin", totp_secret=TOTP)
    counselor = console_client(role="counselor")
    for client, path in ((boss, "/console/oncall"), (boss, "/console/counselors"),
                         (admin, "/console/account"), (admin, "/console/staff")):
        html = client.get(path).get_data(as_text=True)
        assert BANNER in html, path
        assert "Twilio account error 30034 (unregistered 10DLC sender)" in html, path
    assert BANNER not in counselor.get("/console/alerts").get_data(as_text=True)

    page = boss.get("/console/delivery").get_data(as_text=True)
    account = section(page, "Account-level errors")
    assert "ALL TEXTING BLOCKED" in account and "Twilio error 30034" in account
    seen = db_session.get(AccountProblem, 30034).occurrences  # 2 texts, and the notice if
    assert seen >= 2  # the same drain already tried it
    assert "Register the brand and campaign" in account and f"{seen} time(s)" in account
    done = boss.post_form("/console/delivery/account/30034/clear", follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Account-level error 30034 marked fixed." in html and BANNER not in html
    row = db_session.get(AccountProblem, 30034)
    assert row.cleared_at == runtime.now()
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "delivery.account_error_cleared"))
    assert event.actor == f"console:{boss.staff.id}" and event.subject_id == 30034
    again = boss.post_form("/console/delivery/account/30034/clear", follow_redirects=True)
    assert "No open account-level error 30034." in again.get_data(as_text=True)
    # It comes back: a new notice and the banner again.
    clock.advance(minutes=5)
    with runtime.Session() as s, s.begin():
        assert note_account_error(s, runtime.program, 30034, runtime.now()) is True
    assert BANNER in admin.get("/console/account").get_data(as_text=True)
    assert len(db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "staff.notice")).all()) == 2


def test_roles_and_csrf(console_client, boss, db_session, runtime):
    with runtime.Session() as s, s.begin():
        note_account_error(s, runtime.program, 20003, runtime.now())
    counselor = console_client(role="counselor")
    assert counselor.get("/console/delivery").status_code == 403
    assert counselor.post_form("/console/delivery/account/20003/clear").status_code == 403
    assert boss.post("/console/delivery/account/20003/clear").status_code == 400
    assert db_session.get(AccountProblem, 20003).cleared_at is None
    html = boss.get("/console/delivery").get_data(as_text=True)
    assert "Twilio error 20003 · bad credentials" in html and "TWILIO_AUTH_TOKEN" in html
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.post_form("/console/delivery/account/20003/clear").status_code == 302
    assert db_session.get(AccountProblem, 20003).cleared_at is not None
