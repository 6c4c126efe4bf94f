"""The admins' account page: list, a new set-password link, disable."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.models import SetPasswordToken, StaffAccount
from tests.console.conftest import make_staff

TOTP = "JBSWY3DPEHPK3PXP"


def test_admin_lists_accounts_issues_a_link_and_disables(console_client, db_session, app):
    admin = console_client(role="admin", totp_secret=TOTP, name="Robin IT")
    jo = make_staff(db_session, role="counselor", name="Jo March", email="jo@clinic.example")
    html = admin.get("/console/staff").get_data(as_text=True)
    assert "Jo March" in html and "jo@clinic.example" in html and "Robin IT (you)" in html
    shown = admin.post_form(f"/console/staff/{jo.id}/link")
    assert "Set-Cookie" not in shown.headers  # the link never travels in the cookie
    link = re.search(r"https://bot\.example\.org(/console/welcome/[\w-]+)",
                     shown.get_data(as_text=True))
    assert link and db_session.scalar(select(SetPasswordToken.staff_id)) == jo.id
    assert app.test_client().get(link.group(1)).status_code == 200
    jos = console_client(staff=jo)
    admin.post_form(f"/console/staff/{jo.id}/disable")
    assert db_session.get(StaffAccount, jo.id).active is False
    assert jos.get("/console/alerts").status_code == 302  # signed out at once
    assert app.test_client().get(link.group(1)).status_code == 404  # open links die too


def test_admin_cannot_disable_themselves_and_others_cannot_use_the_page(console_client,
                                                                         db_session):
    admin = console_client(role="admin", totp_secret=TOTP)
    admin.post_form(f"/console/staff/{admin.staff.id}/disable")
    assert db_session.get(StaffAccount, admin.staff.id).active is True
    for role in ("counselor", "supervisor"):
        client = console_client(role=role, totp_secret=TOTP)
        assert client.get("/console/staff").status_code == 403
        assert client.post_form(f"/console/staff/{admin.staff.id}/disable").status_code == 403
    assert db_session.get(StaffAccount, admin.staff.id).active is True
