"""A supervisor replaces a departing counselor, rotates on-call and finds a bounced number."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.models import Alert, Counselor, Participant, PhoneNumber
from bot.services.alerts import raise_alert
from bot.services.delivery import note_account_error
from tests.conftest import START
from tests.factories import make_counselor, make_participant

TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits: pyotp refuses shorter


@pytest.fixture
def clinic(db_session, runtime):
    """Jordan (leaving: two participants, one open crisis alert), Riley, Sam on call by flag,
    and two numbers the bot cannot text."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    riley = make_counselor(db_session, name="Riley Chen")
    make_counselor(db_session, name="Sam Ortiz", on_call=True)
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    make_participant(db_session, counselor=jordan, name="Bo Diaz")
    dee = make_participant(db_session, counselor=riley, name="Dee Fox")
    cy = make_participant(db_session, counselor=riley, name="Cy Park")
    alert = raise_alert(db_session, runtime, participant=alex, level="crisis", kind="triage",
                        reasons=["self-harm language"], summary="x", now=START,
                        dedupe_key="b1").alert
    db_session.add_all([
        PhoneNumber(phone=dee.phone, flag="landline", flag_code=30006,
                    flagged_at=START - timedelta(days=1)),
        PhoneNumber(phone=cy.phone, opted_out=True, opted_out_at=START - timedelta(hours=3)),
    ])
    db_session.commit()
    return {"jordan": jordan, "riley": riley, "alex": alex, "dee": dee, "alert": alert}


def sign_in_supervisor(page, sign_in) -> None:
    sign_in(page, role="supervisor", name="Pat Kim", totp_secret=TOTP)
    page.get_by_label("Code").fill(pyotp.TOTP(TOTP).at(START))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Counselors")).to_be_visible()


def test_supervisor_replaces_a_counselor_rotates_on_call_and_finds_a_bounce(
        page, sign_in, shot, clinic, db_session, runtime, clock):
    sign_in_supervisor(page, sign_in)
    riley = clinic["riley"]

    # 1. Jordan leaves: refused until a colleague is chosen, then everything moves in one step.
    page.get_by_role("link", name="Counselors").click()
    expect(page.get_by_role("heading", name="Counselors")).to_be_visible()
    jordan_row = page.get_by_role("row", name=re.compile("Jordan Lee"))
    expect(jordan_row.get_by_role("cell", name="2", exact=True)).to_be_visible()
    shot(page, "console-counselors")
    jordan_row.get_by_role("link", name="Jordan Lee").click()
    page.get_by_role("button", name="Deactivate Jordan Lee").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Jordan Lee still has 2 participant(s): choose a colleague to take them all")
    page.get_by_label("Move their participants to").select_option(str(riley.id))
    shot(page, "console-counselor-deactivate")
    page.get_by_role("button", name="Deactivate Jordan Lee").click()
    expect(page.get_by_role("status")).to_contain_text(
        "2 participant(s) and 1 open alert(s) moved to Riley Chen")
    expect(page.get_by_role("row", name=re.compile("Jordan Lee"))).to_contain_text("deactivated")
    assert db_session.get(Alert, clinic["alert"].id).counselor_id == riley.id
    assert db_session.get(Participant, clinic["alex"].id).counselor_id == riley.id

    # 2. Their replacement is added.
    page.get_by_label("Name").fill("Morgan Blake")
    page.get_by_label("Mobile phone").fill("(415) 555-0166")
    page.get_by_role("button", name="Add counselor").click()
    expect(page.get_by_role("status")).to_have_text("Morgan Blake added.")
    morgan = db_session.scalar(select(Counselor).where(Counselor.name == "Morgan Blake"))
    assert morgan.phone == "+14155550166" and morgan.active

    # 3. On call: Riley weekdays 9-5, then Morgan covers this morning (Thursday 10:00 clinic time).
    page.get_by_role("link", name="On call").click()
    expect(page.locator("#now + ul")).to_contain_text("Sam Ortiz")  # no rota yet: the flag
    shift = page.locator("form", has=page.get_by_role("button", name="Add shift"))
    shift.get_by_label("Counselor").select_option(str(riley.id))
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        shift.get_by_label(day).check()
    shift.get_by_label(re.compile("^From")).fill("09:00")
    shift.get_by_label(re.compile("^To")).fill("17:00")
    page.get_by_role("button", name="Add shift").click()
    expect(page.get_by_role("status")).to_contain_text("on 5 weekday(s)")
    expect(page.locator("#now + ul")).to_have_text(re.compile(r"^\s*Riley Chen"))
    override = page.locator("form", has=page.get_by_role("button", name="Add override"))
    override.get_by_label("Counselor").select_option(str(morgan.id))
    override.get_by_label(re.compile("^From")).fill("2026-11-26T09:30")
    override.get_by_label("To", exact=True).fill("2026-11-26T13:00")
    override.get_by_label("Note (optional)").fill("Riley at training")
    page.get_by_role("button", name="Add override").click()
    expect(page.locator("#now + ul")).to_have_text(re.compile(r"^\s*Morgan Blake"))
    expect(page.locator("p.oncall-now")).to_contain_text("Morgan Blake")
    shot(page, "console-oncall")

    # 4. A bounced number: Dee's is a landline; her page is one click away.
    page.get_by_role("link", name="Delivery").click()
    flagged = page.get_by_role("row", name=re.compile(clinic["dee"].phone.replace("+", r"\+")))
    expect(flagged).to_contain_text("landline: cannot get texts")
    expect(page.get_by_role("row", name=re.compile("Cy Park"))).to_contain_text("unknown")
    # Then Twilio refuses the whole account: the banner is on every page until it is fixed.
    with runtime.Session() as s, s.begin():
        note_account_error(s, runtime.program, 30034, clock())
    page.reload()
    expect(page.locator(".account-blocked")).to_contain_text("Twilio account error 30034")
    shot(page, "console-delivery")
    page.get_by_role("button", name="Mark fixed").click()
    expect(page.get_by_role("status")).to_contain_text("marked fixed")
    expect(page.locator(".account-blocked")).to_have_count(0)
    flagged = page.get_by_role("row", name=re.compile(clinic["dee"].phone.replace("+", r"\+")))
    flagged.get_by_role("link", name=re.compile("Dee Fox")).click()
    expect(page.get_by_role("heading", name="Dee Fox")).to_be_visible()
