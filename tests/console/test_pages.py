"""Participants, timeline, inbox and reply pages: who may see and do what, through the client."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, ConsoleReply, InboxReview, OutboxMessage, PhoneNumber
from bot.paging import wait_for_pages
from bot.queries.inbox import waiting
from tests.console.conftest import make_staff
from tests.factories import make_counselor, make_participant

TOTP = "JBSWY3DPEHPK3PXP"  # enrolled in a second factor (required for supervisors and admins)


@pytest.fixture
def clinic(db_session, text_in):
    """Two counselors with one participant each; each participant left a text in the inbox."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    bea = make_participant(db_session, counselor=sam, name="Bea Stone")
    text_in(alex.phone, "is group still on thursday?")
    text_in(bea.phone, "running late tomorrow, sorry")
    texts = {i.participant_name: i.message_id for i in waiting(db_session)}
    return {"jordan": jordan, "sam": sam, "alex": alex, "bea": bea, "texts": texts}


@pytest.fixture
def jordan(console_client, clinic):
    return console_client(role="counselor", counselor=clinic["jordan"], name="Jordan Lee")


@pytest.fixture
def boss(console_client, clinic):
    return console_client(role="supervisor", name="Pat Kim", totp_secret=TOTP)


def html(response) -> str:
    return response.get_data(as_text=True)


def form_key(page: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', page).group(1)


def views(db_session, staff_id):
    return db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "console.view", AuditEvent.staff_id == staff_id)).all()


# --- signed out ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/console/participants", "/console/participants/1",
                                  "/console/inbox"])
def test_signed_out_get_goes_to_the_login_page(client, clinic, path):
    response = client.get(path)
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/console/participants/1/reply", "/console/inbox/1/reviewed"])
def test_signed_out_post_is_refused_and_changes_nothing(anon_client, clinic, db_session, path):
    response = anon_client.post_form(path, {"body": "hi", "form_key": "k"})
    assert response.status_code in (401, 403)
    assert db_session.scalars(select(InboxReview)).all() == []
    assert db_session.scalars(select(ConsoleReply)).all() == []


# --- wrong role ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/console/participants", "/console/participants/1",
                                  "/console/inbox"])
def test_an_admin_sees_no_clinical_pages(console_client, clinic, path):
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get(path).status_code == 403


def test_an_admin_cannot_post_either(console_client, clinic, db_session):
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.post_form(f"/console/inbox/{clinic['texts']['Alex Rivera']}/reviewed"
                           ).status_code == 403
    assert admin.post_form(f"/console/participants/{clinic['alex'].id}/reply",
                           {"body": "hi", "form_key": "k"}).status_code == 403
    assert db_session.scalars(select(InboxReview)).all() == []
    assert db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "staff_reply")).all() == []


# --- caseload -----------------------------------------------------------------------------

def test_a_counselor_sees_their_caseload_and_a_supervisor_everyone(jordan, boss, clinic):
    mine = html(jordan.get("/console/participants"))
    assert "Alex Rivera" in mine and "Bea Stone" not in mine
    assert "1 unread" in mine
    everyone = html(boss.get("/console/participants"))
    assert "Alex Rivera" in everyone and "Bea Stone" in everyone


def test_search_by_name_is_literal_and_case_blind(boss, clinic):
    assert "Bea Stone" in html(boss.get("/console/participants?q=bEa"))
    found = html(boss.get("/console/participants?q=%25"))  # a literal %, not a wildcard
    assert "Bea Stone" not in found and "Nobody called" in found


def test_a_bad_page_token_is_a_400(boss, clinic):
    assert boss.get("/console/participants?after=Bea~x").status_code == 400


# --- timeline -----------------------------------------------------------------------------

def test_the_timeline_shows_texts_chart_and_badges_and_is_audited(jordan, clinic, db_session):
    alex = clinic["alex"]
    number = db_session.get(PhoneNumber, alex.phone) or PhoneNumber(phone=alex.phone)
    number.flag, number.flag_code = "landline", 30006  # the inbound path may have made the row
    db_session.add(number)
    db_session.flush()
    page = html(jordan.get(f"/console/participants/{alex.id}"))
    assert "is group still on thursday?" in page
    assert "Waiting in the inbox" in page
    assert "<svg" in page and "urges and mood, last 30 days" in page
    assert "Number flagged" in page and "landline" in page
    assert "The same as a table" in page
    assert [v.participant_id for v in views(db_session, jordan.staff.id)] == [alex.id]
    assert "last 90 days" in html(jordan.get(f"/console/participants/{alex.id}?days=90"))


def test_another_counselors_participant_is_a_404_and_not_audited(jordan, clinic, db_session):
    bea = clinic["bea"]
    assert jordan.get(f"/console/participants/{bea.id}").status_code == 404
    assert jordan.get("/console/participants/99999").status_code == 404
    assert views(db_session, jordan.staff.id) == []


def test_a_supervisor_opens_anyone_and_that_is_audited(boss, clinic, db_session):
    assert boss.get(f"/console/participants/{clinic['bea'].id}").status_code == 200
    assert [v.participant_id for v in views(db_session, boss.staff.id)] == [clinic["bea"].id]


def test_a_bad_timeline_cursor_is_a_400(jordan, clinic):
    assert jordan.get(f"/console/participants/{clinic['alex'].id}?before=nonsense"
                      ).status_code == 400


# --- inbox --------------------------------------------------------------------------------

def test_the_inbox_shows_only_my_caseload(jordan, boss, clinic):
    mine = html(jordan.get("/console/inbox"))
    assert "is group still on thursday?" in mine and "running late" not in mine
    everyone = html(boss.get("/console/inbox"))
    assert "is group still on thursday?" in everyone and "running late" in everyone


def test_mark_reviewed_records_who_and_when(jordan, clinic, clock, db_session):
    mid = clinic["texts"]["Alex Rivera"]
    response = jordan.post_form(f"/console/inbox/{mid}/reviewed")
    assert response.status_code == 302 and response.headers["Location"] == "/console/inbox"
    review = db_session.get(InboxReview, mid)
    assert (review.staff_id, review.reviewed_at) == (jordan.staff.id, clock())
    assert "Nothing waiting" in html(jordan.get("/console/inbox"))
    timeline = html(jordan.get(f"/console/participants/{clinic['alex'].id}"))
    assert "Reviewed by Jordan Lee" in timeline


def test_mark_reviewed_from_the_timeline_returns_there(jordan, clinic):
    mid = clinic["texts"]["Alex Rivera"]
    response = jordan.post_form(f"/console/inbox/{mid}/reviewed", {"back": "participant"})
    assert response.headers["Location"] == f"/console/participants/{clinic['alex'].id}"


def test_marking_another_counselors_text_is_a_404(jordan, clinic, db_session):
    response = jordan.post_form(f"/console/inbox/{clinic['texts']['Bea Stone']}/reviewed")
    assert response.status_code == 404
    assert db_session.scalars(select(InboxReview)).all() == []


def test_marking_twice_keeps_the_first_reviewer(jordan, boss, clinic, db_session):
    mid = clinic["texts"]["Alex Rivera"]
    boss.post_form(f"/console/inbox/{mid}/reviewed")
    again = jordan.post_form(f"/console/inbox/{mid}/reviewed")
    assert again.status_code == 302
    assert db_session.get(InboxReview, mid).staff_id == boss.staff.id


def test_mark_reviewed_without_csrf_is_a_400_and_changes_nothing(jordan, clinic, db_session):
    mid = clinic["texts"]["Alex Rivera"]
    assert jordan.post(f"/console/inbox/{mid}/reviewed").status_code == 400
    assert db_session.scalars(select(InboxReview)).all() == []


def test_an_unknown_text_is_a_404(jordan, clinic):
    assert jordan.post_form("/console/inbox/99999/reviewed").status_code == 404


# --- reply --------------------------------------------------------------------------------

def test_reply_queues_a_text_shown_as_sent_by_me(jordan, clinic, db_session, twilio):
    alex = clinic["alex"]
    page = html(jordan.get(f"/console/participants/{alex.id}"))
    response = jordan.post_form(f"/console/participants/{alex.id}/reply",
                                {"body": "Hi Alex, it's Jordan. Yes, Thursday 6pm.",
                                 "form_key": form_key(page)})
    wait_for_pages()  # this process's sender threads send it while the page redirects
    assert response.status_code == 302
    record = db_session.scalars(select(ConsoleReply)).one()
    assert (record.staff_id, record.sent_by_name) == (jordan.staff.id, "Jordan Lee")
    assert [m["body"] for m in twilio.messages if m["to"] == alex.phone][-1] == (
        "Hi Alex, it's Jordan. Yes, Thursday 6pm.")
    after = html(jordan.get(f"/console/participants/{alex.id}"))
    assert "Text from Jordan Lee" in after and "queued" in after


def test_reply_to_an_opted_out_participant_is_refused_with_a_reason(jordan, clinic, text_in,
                                                                    db_session):
    alex = clinic["alex"]
    text_in(alex.phone, "STOP")
    page = html(jordan.get(f"/console/participants/{alex.id}"))
    assert "replied STOP" in page and 'name="body"' not in page  # no form to fill in vain
    response = jordan.post_form(f"/console/participants/{alex.id}/reply",
                                {"body": "hello?", "form_key": "abc"})
    assert response.status_code == 400 and "replied STOP" in html(response)
    assert db_session.scalars(select(ConsoleReply)).all() == []


def test_an_empty_reply_is_a_400_that_keeps_nothing(jordan, clinic, db_session):
    response = jordan.post_form(f"/console/participants/{clinic['alex'].id}/reply",
                                {"body": "   ", "form_key": "abc"})
    assert response.status_code == 400 and "The text is empty" in html(response)
    assert db_session.scalars(select(ConsoleReply)).all() == []


def test_reply_without_csrf_is_a_400(jordan, clinic, db_session):
    response = jordan.post(f"/console/participants/{clinic['alex'].id}/reply",
                           data={"body": "hi", "form_key": "abc"})
    assert response.status_code == 400
    assert db_session.scalars(select(ConsoleReply)).all() == []


def test_reply_to_another_counselors_participant_is_a_404(jordan, clinic, db_session):
    response = jordan.post_form(f"/console/participants/{clinic['bea'].id}/reply",
                                {"body": "hi", "form_key": "abc"})
    assert response.status_code == 404
    assert db_session.scalars(select(ConsoleReply)).all() == []


def test_a_double_submitted_reply_sends_once(jordan, clinic, db_session):
    alex = clinic["alex"]
    for _ in range(2):
        jordan.post_form(f"/console/participants/{alex.id}/reply",
                         {"body": "See you soon", "form_key": "same-form"}).close()
    assert len(db_session.scalars(select(ConsoleReply)).all()) == 1


def test_a_counselor_account_without_a_counselor_row_has_an_empty_inbox(console_client,
                                                                       db_session, clinic):
    odd = make_staff(db_session, role="counselor", counselor=clinic["sam"], email="x@c.example")
    odd.counselor_id = None
    db_session.flush()
    client = console_client(staff=odd)
    assert "Nothing waiting" in html(client.get("/console/inbox"))


def test_the_inbox_pages_fifty_at_a_time(boss, clinic, text_in, clock):
    for n in range(55):
        clock.advance(seconds=1)
        text_in(clinic["alex"].phone, f"question number {n} about the schedule")
    first = html(boss.get("/console/inbox"))
    assert first.count("Mark reviewed") == 50 and '<span class="count">57</span>' in first
    link = re.search(r'href="(/console/inbox\?after=[^"]+)"', first).group(1)
    second = html(boss.get(link.replace("&amp;", "&")))
    assert second.count("Mark reviewed") == 7
    assert "question number 54" in second and "question number 47" not in second


def test_a_bad_inbox_page_token_is_a_400(boss, clinic):
    assert boss.get("/console/inbox?after=yesterday~3").status_code == 400
