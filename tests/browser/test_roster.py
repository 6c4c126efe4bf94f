"""A supervisor runs the roster in a real browser: searches, enrols, changes a counselor,
pauses and discharges."""

from __future__ import annotations

import re
from datetime import date

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.models import OutboxMessage, Participant, PhoneNumber
from tests.console.conftest import make_staff
from tests.factories import make_counselor, make_group, make_participant

TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, as pyotp requires
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def roster(db_session):
    """Two counselors, a group, and a few participants (one opted out, one flagged)."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    group = make_group(db_session, name="Tuesday evening")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera", group_id=group.id)
    bea = make_participant(db_session, counselor=sam, name="Bea Stone")
    cody = make_participant(db_session, counselor=jordan, name="Cody Park", status="paused",
                            paused_until=date(2026, 12, 3))
    make_participant(db_session, counselor=sam, name="Eli Novak", group_id=group.id)
    db_session.add_all([PhoneNumber(phone=cody.phone, opted_out=True),
                        PhoneNumber(phone=bea.phone, flag="landline", flag_code=30006)])
    db_session.flush()
    return {"jordan": jordan, "sam": sam, "alex": alex, "bea": bea}


def top(page):
    """Scroll to the top, so a full-page screenshot does not show the sticky bar mid-page."""
    page.evaluate("window.scrollTo(0, 0)")
    return page


def sign_in_supervisor(page, sign_in, db_session, clock):
    staff = make_staff(db_session, role="supervisor", name="Pat Kim", totp_secret=TOTP)
    sign_in(page, staff=staff)
    page.get_by_label("Code").fill(pyotp.TOTP(TOTP).at(clock.current))
    page.get_by_role("button", name=re.compile("Sign in|Confirm|Continue")).click()
    expect(page.get_by_role("link", name="Participants")).to_be_visible()
    return staff


def test_supervisor_runs_the_roster(page, sign_in, live_server, shot, roster, db_session,
                                    clock):
    sign_in_supervisor(page, sign_in, db_session, clock)
    page.get_by_role("link", name="Participants").click()
    rows = page.locator("table.roster tbody tr")
    expect(rows).to_have_count(4)

    # Search by name, then by the filters.
    page.get_by_label("Find by name or phone").fill("bea")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Number flagged")
    page.get_by_label("Find by name or phone").fill("")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Group").select_option(label="Tuesday evening")
    page.get_by_label("Counselor").select_option(label="Jordan Lee")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Alex Rivera")
    shot(top(page), "console-roster")
    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(4)
    page.set_viewport_size(PHONE)
    shot(top(page), "console-roster-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Enrol: a check-in time outside texting hours is refused with the CLI's words.
    page.get_by_role("link", name="Enrol a participant").click()
    page.get_by_label("Preferred name").fill("Dana Cruz")
    page.get_by_label("Mobile phone").fill("(312) 555-0142")
    page.get_by_label("Counselor").select_option(label="Sam Ortiz")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_label("Language").select_option(label="Spanish")
    page.get_by_label("Daily check-in time").fill("22:00")
    page.get_by_label("Group").select_option(label="Tuesday evening")
    page.get_by_label(re.compile("They agreed")).check()
    page.get_by_role("button", name="Enrol and send the confirmation text").click()
    expect(page.get_by_role("alert")).to_contain_text("outside the clinic's texting hours")
    page.get_by_label("Daily check-in time").fill("18:30")
    page.get_by_label(re.compile("They agreed")).check()
    shot(top(page), "console-enrol")
    page.get_by_role("button", name="Enrol and send the confirmation text").click()
    expect(page.get_by_role("heading", name="Dana Cruz")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("opt-in confirmation text")
    dana = db_session.scalars(select(Participant).where(Participant.name == "Dana Cruz")).one()
    assert (dana.phone, dana.language, dana.checkin_time) == ("+13125550142", "es", "18:30")
    assert db_session.scalars(select(OutboxMessage.to_phone).where(
        OutboxMessage.kind == "optin")).all() == ["+13125550142"]

    # Change Alex's counselor.
    alex = roster["alex"]
    page.goto(f"{live_server}/console/participants/{alex.id}")
    page.get_by_role("link", name=re.compile("Edit details")).click()
    page.get_by_label("Counselor").select_option(label="Sam Ortiz")
    shot(top(page), "console-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("counselor=Sam Ortiz")
    expect(page.locator("dl.facts")).to_contain_text("Sam Ortiz")
    assert db_session.get(Participant, alex.id).counselor_id == roster["sam"].id

    # Pause until a date, then discharge.
    page.get_by_role("link", name=re.compile("Edit details")).click()
    page.get_by_label("Pause check-ins until").fill("2026-12-07")
    page.get_by_role("button", name="Pause check-ins").click()
    expect(page.get_by_role("status")).to_contain_text("paused until Mon Dec 7")
    expect(page.get_by_role("button", name="Resume check-ins")).to_be_visible()
    shot(top(page), "console-paused")
    assert db_session.get(Participant, alex.id).paused_until == date(2026, 12, 7)
    page.get_by_role("link", name=re.compile("Edit details")).click()
    page.get_by_label("Reason").select_option(label="Completed the program")
    page.get_by_role("button", name="Discharge Alex Rivera").click()
    expect(page.get_by_role("status")).to_contain_text("Alex Rivera is discharged")
    expect(page.get_by_role("link", name="Re-admit…")).to_be_visible()
    shot(top(page), "console-discharged")
    assert db_session.get(Participant, alex.id).status == "discharged"
