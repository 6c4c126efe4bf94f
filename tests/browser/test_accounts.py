"""A new supervisor follows the CLI link, sets a password, enrols a code, reads the audit trail."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect
from sqlalchemy import select

from bot.models import StaffAccount
from tests.console.conftest import make_staff

NEW_PASSWORD = "plum kettle river lantern"


def test_first_sign_in_with_the_welcome_link_and_totp(page, live_server, runner, db_session,
                                                      clock, shot):
    result = runner.invoke(args=["staff", "add", "--email", "pat@clinic.example", "--name",
                                 "Pat Kim", "--role", "supervisor"])
    path = result.output.strip().splitlines()[-1].split("bot.example.org", 1)[1]
    page.goto(live_server + path)
    expect(page.get_by_role("heading", name="Welcome, Pat Kim")).to_be_visible()
    shot(page, "10-welcome")
    page.get_by_label("New password").fill("password1234")
    page.get_by_label("The same password again").fill("password1234")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("commonly used")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")

    page.get_by_label("Email").fill("pat@clinic.example")
    page.get_by_label("Password").fill("wrong password again")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    shot(page, "11-login-failed")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up a sign-in code")).to_be_visible()
    shot(page, "12-totp-setup")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    assert secret == db_session.scalar(select(StaffAccount.totp_pending))
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(clock.current))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile("Open alerts"))).to_be_visible()

    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.locator("table.list")).to_contain_text("staff.totp_enrolled")
    shot(page, "13-audit")
    page.locator(".usermenu summary").click()
    page.get_by_role("link", name="My account").click()
    expect(page.locator("dl.facts")).to_contain_text("Set up")
    shot(page, "14-account")


def test_admin_staff_page(page, sign_in, db_session, shot):
    make_staff(db_session, role="counselor", name="Jo March", email="jo@clinic.example")
    admin = make_staff(db_session, role="admin", name="Robin IT", totp_secret=None)
    sign_in(page, staff=admin)
    expect(page.get_by_role("heading", name="Set up a sign-in code")).to_be_visible()
    secret = page.locator("#secret").inner_text().replace(" ", "")
    from tests.conftest import START

    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(START))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
    expect(page.get_by_role("link", name="Alerts")).to_have_count(0)  # no clinical pages
    row = page.get_by_role("row", name=re.compile("Jo March"))
    row.get_by_role("button", name="New password link").click()
    expect(page.get_by_role("status")).to_contain_text("/console/welcome/")
    shot(page, "15-staff")
