"""Program pages in a real browser: a family invitation, a CSV import (a bad row, then fixed), the
month's attendance export, and the weekly report."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.models import Participant
from bot.models.family import Consent
from bot.models.schedule import Attendance, TherapySession
from handlers.dispatch import handle_inbound
from handlers.turn import InboundMessage
from tests.conftest import START
from tests.console.conftest import make_staff
from tests.factories import make_counselor, make_group, make_participant, next_phone
from tests.test_family_support import add_checkin, code_from, consent_text

TOTP = pyotp.random_base32()  # 160 bits: pyotp refuses shorter keys
HEADER = "name,phone,counselor,timezone,language,checkin_time,group\n"


def text_in(runtime, phone: str, body: str, sid: str) -> None:
    """A text from `phone` through the webhook's own path (the loopback server has no
    PUBLIC_BASE_URL to sign a webhook POST against)."""
    message = InboundMessage(sid=sid, phone=phone, channel="sms", body=body,
                             received_at=runtime.now())
    with runtime.Session() as session, session.begin():
        handle_inbound(session, runtime, message, message.received_at)


def sign_in_supervisor(page, sign_in, db_session):
    """A supervisor with a sign-in code, through the password and code pages."""
    boss = make_staff(db_session, role="supervisor", name="Pat Kim", totp_secret=TOTP)
    sign_in(page, staff=boss)
    page.get_by_label("Code").fill(pyotp.TOTP(TOTP).at(START))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Reports")).to_be_visible()
    return boss


def test_counselor_starts_a_family_invitation(page, sign_in, live_server, shot, db_session,
                                              runtime):
    jordan = make_counselor(db_session, name="Jordan Lee")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    maria = next_phone()
    sign_in(page, counselor=jordan, name="Jordan Lee")
    page.get_by_role("link", name="Family").click()
    expect(page.get_by_role("heading", name="Family updates")).to_be_visible()
    page.get_by_label(re.compile("Open a participant's family page")).fill("alex")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Alex Rivera").click()

    page.get_by_label("Family member's name").fill("Maria Lopez")
    page.get_by_label("Family member's phone").fill(maria)
    page.get_by_label("Relationship").fill("mother")
    page.get_by_role("checkbox", name=re.compile("^attendance")).check()
    page.get_by_role("checkbox", name=re.compile("^encouragement")).check()
    page.get_by_label("Consent ends on").fill("2027-06-30")
    page.get_by_role("button", name="Text Alex the consent to sign").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing is shared until Alex replies")
    row = page.locator("table.consents").get_by_role("row", name=re.compile("Maria Lopez"))
    expect(row).to_contain_text("Pending")
    expect(row).to_contain_text("attendance, encouragement")
    consent = db_session.scalars(select(Consent)).one()
    code = code_from(consent_text(db_session, consent.id).body)
    assert code not in page.content()

    # Alex signs by text, Maria joins: the page shows it, and the invitation is accounted for.
    text_in(runtime, alex.phone, f"YES {code}", "SM1")
    text_in(runtime, maria, "YES", "SM2")
    page.reload()
    expect(row).to_contain_text("Active")
    expect(page.locator("table.accounting")).to_contain_text("invitation")
    expect(page.locator("table.accounting")).to_contain_text("Maria Lopez (mother)")
    shot(page, "console-family")

    page.get_by_role("button", name="Revoke consent for Maria Lopez").click()
    expect(page.get_by_role("status")).to_contain_text("Consent for Maria Lopez revoked")
    expect(row).to_contain_text("Revoked")
    assert db_session.get(Consent, consent.id).state == "revoked"


def test_supervisor_imports_a_csv_after_fixing_a_bad_row(page, sign_in, live_server, shot,
                                                         db_session):
    make_counselor(db_session, name="Jordan Lee", phone="+14155550190")
    make_group(db_session, name="Evening")
    sign_in_supervisor(page, sign_in, db_session)
    page.get_by_role("link", name="Import").click()
    bad = (HEADER + "Alex Rivera,415-555-0123,+14155550190,America/Chicago,,,\n"
           + "Bo Chen,555,+14155550190,America/Chicago,,25:00,\n")
    page.get_by_label(re.compile("^CSV file")).set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Check").click()
    problems = page.locator("ul.problems")
    expect(problems).to_contain_text("line 3: phone: not a valid phone number: '555'")
    expect(problems).to_contain_text("line 3: checkin_time: must be HH:MM")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    shot(page, "console-import-problems")
    assert db_session.scalars(select(Participant)).all() == []

    fixed = bad.replace("Bo Chen,555,", "Bo Chen,415-555-0124,").replace("25:00", "18:30")
    page.get_by_label(re.compile("^CSV file")).set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": fixed.encode()}])
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name=re.compile("2 rows OK"))).to_be_visible()
    shot(page, "console-import")
    page.get_by_role("button", name="Import 2 participants").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 2 participants")
    names = db_session.scalars(select(Participant.name).order_by(Participant.name)).all()
    assert names == ["Alex Rivera", "Bo Chen"]


@pytest.fixture
def month(db_session):
    """November: a group session with attendance, check-ins and alerts."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    people = [make_participant(db_session, counselor=jordan, name=name,
                               enrolled_at=datetime(2026, 9, 1, tzinfo=UTC))
              for name in ("Alex Rivera", "Bo Chen", "Cy Park")]
    for week in range(4):
        starts = datetime(2026, 11, 3 + 7 * week, 23, tzinfo=UTC)
        s = TherapySession(starts_at=starts, ends_at=starts + timedelta(hours=3))
        db_session.add(s)
        db_session.flush()
        for i, person in enumerate(people):
            db_session.add(Attendance(session_id=s.id, participant_id=person.id,
                                      present=(i + week) % 3 != 0, marked_at=starts,
                                      marked_by="staff:cli"))
    for day in range(1, 26):
        for i, person in enumerate(people):
            add_checkin(db_session, person.id, datetime(2026, 11, day, 22, tzinfo=UTC),
                        answered=(day + i) % 4 != 0)
    from tests.console.conftest import make_alert
    for day, level in ((3, "urgent"), (9, "concern"), (12, "crisis"), (19, "concern")):
        alert = make_alert(db_session, people[day % 3], level=level,
                           created_at=datetime(2026, 11, day, 15, tzinfo=UTC))
        alert.state, alert.acknowledged_at = "acknowledged", alert.created_at + timedelta(
            minutes=day)
    db_session.flush()
    return people


def test_supervisor_exports_the_month_and_reads_the_report(page, sign_in, live_server, shot,
                                                           db_session, month):
    sign_in_supervisor(page, sign_in, db_session)
    page.get_by_role("link", name="Exports").click()
    page.get_by_role("radio", name=re.compile("^Attendance")).check()
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-11-01")
    expect(page.get_by_label("To", exact=True)).to_have_value("2026-11-30")
    shot(page, "console-exports")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "iopbot-attendance-2026-11-01-to-2026-11-30.csv"
    lines = open(download.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("session_id,session_start,group,participant_id,participant")
    assert len(lines) == 1 + 12 and sum("Alex Rivera" in line for line in lines) == 4

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Program report")).to_be_visible()
    expect(page.get_by_role("img", name="Alerts raised by level, by week")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Check-in response"))).to_be_visible()
    expect(page.locator("table.report tbody tr")).to_have_count(12)
    expect(page.locator("table.report")).to_contain_text("2026-11-09")
    shot(page, "console-reports")
