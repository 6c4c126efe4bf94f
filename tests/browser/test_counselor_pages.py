"""A counselor reads a timeline and its chart, clears the inbox and replies, in a real browser."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from bot.models.schedule import CheckIn
from handlers.dispatch import handle_inbound
from handlers.turn import InboundMessage
from tests.browser.conftest import ARTIFACTS
from tests.factories import make_counselor, make_participant

PHONE = {"width": 390, "height": 844}


def text_in(runtime, phone: str, body: str, sid: str) -> None:
    """A text from `phone`, through the same path as the webhook (which the loopback server
    serves without PUBLIC_BASE_URL, so a signed webhook POST is not used here)."""
    message = InboundMessage(sid=sid, phone=phone, channel="sms", body=body,
                             received_at=runtime.now())
    with runtime.Session() as session, session.begin():
        handle_inbound(session, runtime, message, message.received_at)


@pytest.fixture
def caseload(db_session, runtime, clock):
    """Jordan's participant Alex: a month of check-ins (some missed), a question, an alert."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    make_participant(db_session, counselor=jordan, name="Chris Moreno")
    today = date(2026, 11, 26)
    for back in range(1, 30):
        day = today - timedelta(days=back)
        asked = clock() - timedelta(days=back, hours=-7)
        if back % 6 == 0:
            values = {"missed": True}
        else:
            values = {"craving": (back * 7) % 9 + 1, "mood": back % 5 + 1, "used": back == 10,
                      "answered_at": asked, "completed_at": asked}
        db_session.add(CheckIn(participant_id=alex.id, local_date=day, asked_at=asked,
                               prompted_at=asked, closes_at=asked + timedelta(days=1),
                               step="done", **values))
    db_session.flush()
    text_in(runtime, alex.phone, "I had a really good week. Can I bring my sister to family "
            "night?", "SM1")
    clock.advance(minutes=20)
    text_in(runtime, alex.phone, "I used last night", "SM2")
    clock.advance(minutes=30)
    return {"jordan": jordan, "alex": alex}


def test_counselor_reads_the_timeline_and_chart(page, sign_in, live_server, shot, caseload):
    sign_in(page, counselor=caseload["jordan"], name="Jordan Lee")
    page.get_by_role("link", name="Participants").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_text("1 unread")).to_be_visible()
    shot(page, "console-caseload")
    page.get_by_role("link", name="Alex Rivera").click()
    chart = page.get_by_role("img", name="Alex Rivera: urges and mood, last 30 days")
    expect(chart).to_be_visible()
    expect(page.locator("svg.chart circle.urge")).to_have_count(25)
    expect(page.locator("svg.chart text.missed")).to_have_count(4)
    expect(page.get_by_text("I used last night")).to_be_visible()
    expect(page.get_by_text("URGENT", exact=True)).to_be_visible()
    shot(page, "console-timeline")
    page.screenshot(path=str(ARTIFACTS / "console-timeline-top.png"))
    page.get_by_role("link", name="90 days").click()
    expect(page.get_by_role("img", name="Alex Rivera: urges and mood, last 90 days")
           ).to_be_visible()
    page.get_by_text("The same as a table").click()
    expect(page.get_by_role("cell", name="reported use")).to_be_visible()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/console/participants/{caseload['alex'].id}")
    expect(chart).to_be_visible()
    shot(page, "console-timeline-phone")
    page.screenshot(path=str(ARTIFACTS / "console-timeline-phone-top.png"))  # what fits on screen


def test_counselor_clears_the_inbox(page, sign_in, live_server, shot, caseload):
    sign_in(page, counselor=caseload["jordan"], name="Jordan Lee")
    page.get_by_role("link", name="Inbox").click()
    words = page.get_by_text("Can I bring my sister to family night?")
    expect(words).to_be_visible()
    expect(page.get_by_text("I used last night")).to_have_count(0)  # it raised an alert instead
    shot(page, "console-inbox")
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text("Nothing waiting")).to_be_visible()
    expect(page.get_by_text("Marked reviewed: Alex Rivera's text.")).to_be_visible()
    shot(page, "console-inbox-cleared")
    page.goto(f"{live_server}/console/participants/{caseload['alex'].id}")
    expect(page.get_by_text("Reviewed by Jordan Lee")).to_be_visible()


def test_counselor_replies_from_the_timeline(page, sign_in, live_server, shot, caseload,
                                             twilio):
    sign_in(page, counselor=caseload["jordan"], name="Jordan Lee")
    page.goto(f"{live_server}/console/participants/{caseload['alex'].id}")
    page.get_by_label("Your message").fill("Hi Alex, it's Jordan. Yes, bring her along!")
    shot(page, "console-reply")
    page.get_by_role("button", name="Send text").click()
    expect(page.get_by_text("Text to Alex Rivera queued")).to_be_visible()
    expect(page.get_by_text("Text from Jordan Lee")).to_be_visible()
    expect(page.locator("blockquote.out").first).to_have_text(
        "Hi Alex, it's Jordan. Yes, bring her along!")
    shot(page, "console-reply-sent")
    sent = False
    for _ in range(50):  # the text leaves right after the response, on the server's thread
        sent = any(m["body"] == "Hi Alex, it's Jordan. Yes, bring her along!"
                   for m in twilio.messages)
        if sent:
            break
        page.wait_for_timeout(100)
    assert sent
