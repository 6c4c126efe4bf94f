"""A supervisor builds a week on the calendar; a counselor takes attendance, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.models import Alert, OutboxMessage
from bot.models.schedule import Attendance, TherapySession
from bot.services.schedule.confirmations import record_confirmation
from tests.conftest import START
from tests.factories import make_counselor, make_group, make_participant

TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits (pyotp wants 112 or more)
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clinic(db_session):
    """Jordan's three participants and one of Sam's in the group "Evening"."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    group = make_group(db_session, name="Evening", weekly="mon,wed,thu 18:00-21:00",
                       location="Room 2")
    people = {name: make_participant(db_session, counselor=who, name=name, group_id=group.id)
              for name, who in (("Alex Rivera", jordan), ("Chris Moreno", jordan),
                                ("Erin Park", jordan), ("Bea Stone", sam))}
    make_participant(db_session, counselor=jordan, name="Dev Shah")
    return {"jordan": jordan, "group": group, **people}


def supervisor_signs_in(page, sign_in) -> None:
    sign_in(page, role="supervisor", name="Pat Kim", totp_secret=TOTP)
    page.get_by_label("Code").fill(pyotp.TOTP(TOTP).at(START))
    page.get_by_role("button", name="Continue").click()


def day_column(page, label: str):
    return page.locator("li.day", has=page.get_by_role("heading", name=re.compile(label)))


def test_supervisor_builds_a_week(page, sign_in, live_server, shot, clinic, db_session):
    page.set_viewport_size(WIDE)
    supervisor_signs_in(page, sign_in)
    page.get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", name="Week of Mon 23 Nov 2026")).to_be_visible()
    expect(day_column(page, "Thu 26 Nov")).to_contain_text("Evening")

    page.get_by_text("A group that meets every week").click()
    page.get_by_label("Group name").fill("Morning B")
    page.get_by_label("Meets (days and local time)").fill("tue,fri 09:30-12:00")
    page.locator("#g-loc").fill("Room 5")
    page.get_by_role("button", name="Add group").click()
    expect(page.get_by_role("status")).to_contain_text("Group Morning B added")

    page.get_by_text("A one-off group session").click()
    page.get_by_label("Group", exact=True).select_option(label="Evening")
    page.locator("#s-day").fill("2026-12-05")
    page.locator("#s-start").fill("10:00")
    page.locator("#s-end").fill("11:30")
    page.get_by_role("button", name="Add session").click()
    expect(page.get_by_role("status")).to_contain_text("Evening session added")
    expect(page.get_by_role("heading", name="Week of Mon 30 Nov 2026")).to_be_visible()
    expect(day_column(page, "Sat 5 Dec")).to_contain_text("one-off group")

    # A bad time is refused with the CLI's one-line reason.
    page.get_by_text("A one-off group session").click()
    page.locator("#s-day").fill("2026-12-06")
    page.locator("#s-start").fill("12:00")
    page.locator("#s-end").fill("11:00")
    page.get_by_role("button", name="Add session").click()
    expect(page.get_by_role("alert")).to_have_text(
        "the session must end after it starts (--end is not after --start)")

    # Move Monday's weekly meeting to Tuesday; cancel Friday's Morning B.
    page.goto(f"{live_server}/console/calendar?week=2026-11-30")
    day_column(page, "Mon 30 Nov").get_by_role("link", name=re.compile("Evening")).click()
    expect(page.get_by_text("Weekly group meeting · 4 members")).to_be_visible()
    shot(page, "console-session")
    page.get_by_label("New date").fill("2026-12-01")
    page.get_by_role("button", name="Move session").click()
    expect(page.get_by_role("status")).to_contain_text("moved; 4 participant(s) will be told")
    page.get_by_role("link", name="Back to the week").click()
    day_column(page, "Fri 4 Dec").get_by_role("link", name=re.compile("Morning B")).click()
    page.get_by_role("button", name="Cancel this session").click()
    expect(page.get_by_role("status")).to_contain_text("cancelled")
    page.get_by_role("link", name="Back to the week").click()
    expect(day_column(page, "Mon 30 Nov")).not_to_contain_text("Evening")
    expect(day_column(page, "Tue 1 Dec")).to_contain_text("Evening")
    expect(day_column(page, "Fri 4 Dec")).to_contain_text("cancelled")
    shot(page, "console-calendar")
    page.set_viewport_size(PHONE)
    page.reload()
    shot(page, "console-calendar-phone")

    moved = db_session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.kind == "session.moved",
        OutboxMessage.to_phone == clinic["Bea Stone"].phone)).all()
    assert moved == ["Update: group Mon Nov 30 6:00 PM has moved to Tue Dec 1 6:00 PM at Room 2."]


def test_counselor_takes_attendance(page, sign_in, live_server, shot, clinic, db_session,
                                    runtime):
    started = START - timedelta(hours=1)  # 09:00 in New York; the page is opened at 10:00
    row = TherapySession(group_id=clinic["group"].id, starts_at=started,
                         ends_at=started + timedelta(hours=3), location="Room 2",
                         status="scheduled", revision=0, changed_at=started, created_at=started)
    db_session.add(row)
    db_session.flush()
    with runtime.Session() as s, s.begin():
        therapy = s.get(TherapySession, row.id)
        record_confirmation(s, runtime.program, s.merge(clinic["Alex Rivera"]), therapy, True,
                            START - timedelta(days=1))
        record_confirmation(s, runtime.program, s.merge(clinic["Erin Park"]), therapy, False,
                            START - timedelta(hours=20))
    page.set_viewport_size(PHONE)
    sign_in(page, counselor=clinic["jordan"], name="Jordan Lee")
    page.get_by_role("link", name="Calendar").click()
    today = day_column(page, "Thu 26 Nov")
    expect(today).to_contain_text("✓ 1 confirmed")
    today.get_by_role("link", name="Take attendance").first.click()
    expect(page.get_by_role("heading", name="Attendance: Evening")).to_be_visible()
    expect(page.get_by_text("Bea Stone")).to_have_count(0)  # Sam's participant is not named
    expect(page.get_by_text("1 other participant in this group")).to_be_visible()
    for name, mark in (("Alex Rivera", "Present"), ("Chris Moreno", "Absent"),
                       ("Erin Park", "Absent")):
        page.get_by_role("row", name=re.compile(name)).get_by_label(mark).check()
    shot(page, "console-attendance")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Attendance saved: 1 present, 2 absent. 1 absence(s) without notice")
    shot(page, "console-attendance-saved")
    marks = {a.participant_id: a.present for a in db_session.scalars(select(Attendance))}
    assert marks == {clinic["Alex Rivera"].id: True, clinic["Chris Moreno"].id: False,
                     clinic["Erin Park"].id: False}
    alerted = [a.participant_id for a in db_session.scalars(select(Alert))]
    assert alerted == [clinic["Chris Moreno"].id]  # Erin had said she can't make it


def test_before_the_session_there_is_no_form(page, sign_in, live_server, clinic, db_session):
    sign_in(page, counselor=clinic["jordan"], name="Jordan Lee")
    page.goto(f"{live_server}/console/sessions/g{clinic['group'].id}-2026-11-30/attendance")
    expect(page.get_by_role("status")).to_contain_text("has not started yet")
    expect(page.get_by_role("button", name="Save attendance")).to_have_count(0)
