"""Second factor: required for supervisors and admins, optional (per clinic) for counselors."""

from __future__ import annotations

import dataclasses

import pyotp
from sqlalchemy import select

from bot.models import AuditEvent, StaffAccount, StaffSession
from tests.console.conftest import PASSWORD, form_token, make_staff


def login(client, email, password=PASSWORD):
    return client.post_form("/console/login", {"email": email, "password": password})


def code_at(secret: str, when) -> str:
    return pyotp.TOTP(secret).at(when)


def test_supervisor_without_totp_must_enrol_before_anything_else(console_client, clock,
                                                                    db_session):
    client = console_client(role="supervisor")
    response = client.get("/console/alerts")
    assert response.status_code == 302 and response.headers["Location"] == "/console/account/totp"
    page = client.get("/console/account/totp").get_data(as_text=True)
    assert "otpauth://totp/" in page
    secret = db_session.scalar(select(StaffAccount.totp_pending))
    assert secret and secret.replace(" ", "") in page.replace(" ", "")
    assert "chart.googleapis" not in page and "<img" not in page  # no external QR service
    wrong = client.post_form("/console/account/totp", {"code": "000000"})
    assert wrong.status_code == 400
    ok = client.post_form("/console/account/totp", {"code": code_at(secret, clock.current)})
    assert ok.status_code == 302
    assert db_session.scalar(select(StaffAccount.totp_secret)) == secret
    assert client.get("/console/alerts").status_code == 200
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.totp_enrolled"))


def test_enrolled_account_needs_a_code_to_finish_signing_in(anon_client, db_session, clock):
    secret = pyotp.random_base32()
    staff = make_staff(db_session, role="supervisor", totp_secret=secret)
    response = login(anon_client, staff.email)
    assert response.headers["Location"] == "/console/login/code"
    assert anon_client.get("/console/alerts").status_code == 302  # not signed in yet
    page = anon_client.get("/console/login/code").get_data(as_text=True)
    anon_client.csrf_token = form_token(page)
    done = anon_client.post_form("/console/login/code", {"code": code_at(secret, clock.current)})
    assert done.status_code == 302 and done.headers["Location"] == "/console/alerts"
    assert anon_client.get("/console/alerts").status_code == 200
    assert db_session.scalar(select(StaffSession.verified)) is True


def test_a_code_works_only_once(app, db_session, clock):
    from tests.console.conftest import new_anon_client

    secret = pyotp.random_base32()
    staff = make_staff(db_session, role="admin", totp_secret=secret)
    code = code_at(secret, clock.current)
    first, second = new_anon_client(app), new_anon_client(app)
    for client in (first, second):
        login(client, staff.email)
        client.csrf_token = form_token(client.get("/console/login/code").get_data(as_text=True))
    assert first.post_form("/console/login/code", {"code": code}).status_code == 302
    assert second.post_form("/console/login/code", {"code": code}).status_code == 401


def test_five_wrong_codes_lock_the_account(anon_client, db_session):
    staff = make_staff(db_session, role="supervisor", totp_secret=pyotp.random_base32())
    login(anon_client, staff.email)
    anon_client.csrf_token = form_token(
        anon_client.get("/console/login/code").get_data(as_text=True))
    for _ in range(5):
        response = anon_client.post_form("/console/login/code", {"code": "123456"})
        assert response.status_code == 401
    account = db_session.scalar(select(StaffAccount))
    assert account.locked_until is not None
    assert db_session.scalar(select(StaffSession.ended_at)) is not None


def test_counselor_totp_is_optional_unless_the_clinic_requires_it(console_client, runtime,
                                                                   monkeypatch):
    relaxed = console_client(role="counselor")
    assert relaxed.get("/console/alerts").status_code == 200
    program = runtime.program
    strict = dataclasses.replace(program, raw={**program.raw, "console": {"counselor_totp": True}})
    monkeypatch.setattr(runtime, "program", strict)
    response = relaxed.get("/console/alerts")
    assert response.status_code == 302 and response.headers["Location"] == "/console/account/totp"


def test_admin_lands_on_account_not_clinical_pages(console_client, db_session):
    client = console_client(role="admin")
    account = db_session.scalar(select(StaffAccount))
    account.totp_secret = pyotp.random_base32()
    db_session.flush()
    assert client.get("/console/").headers["Location"] == "/console/staff"
    assert client.get("/console/alerts").status_code == 403


def test_moving_the_code_to_a_new_phone_needs_the_password(console_client, db_session, clock):
    old = pyotp.random_base32()
    client = console_client(role="supervisor", totp_secret=old)
    page = client.get("/console/account/totp").get_data(as_text=True)
    assert "current password" in page
    new = db_session.scalar(select(StaffAccount.totp_pending))
    code = code_at(new, clock.current)
    refused = client.post_form("/console/account/totp", {"code": code, "current": "wrong!"})
    assert refused.status_code == 400
    assert db_session.scalar(select(StaffAccount.totp_secret)) == old
    new = db_session.scalar(select(StaffAccount.totp_pending))
    ok = client.post_form("/console/account/totp",
                          {"code": code_at(new, clock.current), "current": PASSWORD})
    assert ok.status_code == 302
    assert db_session.scalar(select(StaffAccount.totp_secret)) == new
