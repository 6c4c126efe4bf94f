"""What a counselor does: sign in, open the crisis alert, read the words, acknowledge."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from bot.models import Alert
from tests.console.conftest import make_staff
from tests.factories import make_counselor, make_participant

CRISIS = "honestly everyone would be better off without me"


def crisis_team(db_session, text_in):
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz", on_call=True)
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    quiet = make_participant(db_session, counselor=jordan, name="Maria Diaz")
    text_in(quiet.phone, "missed group today, feeling kind of low and sad")
    text_in(alex.phone, CRISIS)
    alert = db_session.scalar(select(Alert).where(Alert.level == "crisis"))
    assert alert is not None  # the real webhook raised it
    return jordan, sam, alex, alert


def test_counselor_acknowledges_a_crisis_from_the_console(page, sign_in, live_server, shot,
                                                          db_session, text_in):
    jordan, _sam, _alex, alert = crisis_team(db_session, text_in)
    sign_in(page, role="counselor", counselor=jordan)
    expect(page.get_by_role("heading", name=re.compile("Open alerts"))).to_be_visible()
    card = page.locator(".card").first
    expect(card).to_contain_text("CRISIS")
    expect(card).to_contain_text("Alex Rivera")
    expect(card).to_contain_text(CRISIS)
    shot(page, "03-alerts-queue")

    card.click()
    expect(page.locator("blockquote.words.big")).to_have_text(CRISIS)
    shot(page, "04-alert-crisis")
    page.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(page.get_by_role("status")).to_contain_text("You acknowledged alert")
    expect(page.locator(".status")).to_contain_text("Acknowledged by you")
    shot(page, "05-alert-acknowledged")
    assert db_session.get(Alert, alert.id).state == "acknowledged"

    page.get_by_label("What was done (optional)").fill("Called Alex; safe with family tonight")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".status")).to_contain_text("Called Alex; safe with family tonight")
    assert db_session.get(Alert, alert.id).state == "resolved"


def test_queue_refreshes_and_shows_who_acknowledged(page, sign_in, live_server, shot,
                                                    db_session, text_in):
    jordan, sam, _alex, alert = crisis_team(db_session, text_in)
    page.clock.install()
    sign_in(page, role="counselor", counselor=jordan)
    expect(page.locator(".card").first).to_contain_text("Not acknowledged")
    text_in(sam.phone, f"ACK {alert.id}")  # the on-call counselor answers by text
    page.clock.run_for(21_000)
    expect(page.locator(".card").first).to_contain_text("Acknowledged by Sam Ortiz")
    shot(page, "06-queue-acked-by-someone-else")


def test_sign_out_and_phone_layout(browser, live_server, db_session, text_in, shot):
    jordan, _sam, _alex, _alert = crisis_team(db_session, text_in)
    staff = make_staff(db_session, role="counselor", counselor=jordan)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    from tests.console.conftest import PASSWORD

    phone.goto(f"{live_server}/console/login")
    phone.get_by_label("Email").fill(staff.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.locator(".card").first).to_contain_text(CRISIS)
    shot(phone, "07-phone-queue")
    phone.locator(".card").first.click()
    shot(phone, "08-phone-alert")
    phone.locator(".usermenu summary").click()
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(phone.get_by_role("status")).to_contain_text("signed out")
    context.close()


def test_an_unattended_queue_signs_itself_out(page, sign_in, live_server, db_session, text_in,
                                              clock, shot):
    jordan, _sam, _alex, _alert = crisis_team(db_session, text_in)
    page.clock.install()
    sign_in(page, role="counselor", counselor=jordan)
    expect(page.locator(".card").first).to_contain_text(CRISIS)
    for _ in range(3):  # the queue keeps refreshing, but that is not activity
        clock.advance(minutes=6)
        page.clock.run_for(21_000)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You were signed out")
    expect(page.get_by_text(CRISIS)).to_have_count(0)
    shot(page, "09-signed-out-idle")
