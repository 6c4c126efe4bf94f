"""CSRF, security headers, cookie flags, and the set-password link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import Alert, Counselor, SetPasswordToken, StaffAccount
from tests.console.conftest import PASSWORD, form_token, make_alert, make_staff
from tests.factories import make_participant


def test_post_without_csrf_token_is_400_and_changes_nothing(console_client, db_session):
    client = console_client(role="counselor")
    alex = make_participant(db_session,
                            counselor=db_session.get(Counselor, client.staff.counselor_id))
    alert = make_alert(db_session, alex, text="I can't do this anymore")
    response = client.post(f"/console/alerts/{alert.id}/ack")
    assert response.status_code == 400
    assert db_session.get(Alert, alert.id).state == "open"
    bad = client.post(f"/console/alerts/{alert.id}/ack", data={"csrf_token": "forged"})
    assert bad.status_code == 400
    assert db_session.get(Alert, alert.id).state == "open"
    assert client.post("/console/logout").status_code == 400


def test_login_post_without_csrf_token_is_400(client, db_session):
    staff = make_staff(db_session, role="counselor")
    response = client.post("/console/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400


def test_twilio_webhooks_are_not_csrf_protected(text_in, db_session):
    alex = make_participant(db_session)
    response = text_in(alex.phone, "7")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # no console cookie outside /console


def test_every_console_response_carries_security_headers(client, console_client):
    for response in (client.get("/console/login"), client.get("/console/alerts"),
                     console_client(role="counselor").get("/console/alerts"),
                     client.get("/console/static/console.css")):
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_cdn(console_client, client):
    import re

    for response in (client.get("/console/login"),
                     console_client(role="counselor").get("/console/alerts")):
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # every script is a file
        assert " on" + "click=" not in html and "https://" not in html


def test_session_cookie_flags(anon_client, db_session):
    staff = make_staff(db_session, role="counselor")
    response = anon_client.post_form("/console/login",
                                     {"email": staff.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https in the tests
    assert "Path=/console" in cookie


def test_welcome_link_sets_a_password_once(runner, app, db_session, clock):
    result = runner.invoke(args=["staff", "add", "--email", "pat@clinic.example", "--name",
                                 "Pat Kim", "--role", "supervisor"])
    path = result.output.strip().splitlines()[-1].split("bot.example.org", 1)[1]
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Pat Kim" in page.get_data(as_text=True)
    token = form_token(page.get_data(as_text=True))
    for bad, words in (("password1234", "commonly used"), ("short one", "12 characters")):
        response = client.post(path, data={"csrf_token": token, "password": bad, "confirm": bad})
        assert response.status_code == 400 and words in response.get_data(as_text=True)
    mismatch = client.post(path, data={"csrf_token": token, "password": "long enough passphrase",
                                       "confirm": "long enough passphrase!"})
    assert mismatch.status_code == 400
    done = client.post(path, data={"csrf_token": token, "password": "long enough passphrase",
                                   "confirm": "long enough passphrase"})
    assert done.status_code == 302 and done.headers["Location"] == "/console/login"
    assert db_session.scalar(select(StaffAccount.password_hash)).startswith("$argon2id$")
    assert client.get(path).status_code == 404  # single use


def test_welcome_link_expires_after_72_hours(runner, app, db_session, clock):
    result = runner.invoke(args=["staff", "add", "--email", "pat@clinic.example", "--name",
                                 "Pat Kim", "--role", "admin"])
    path = result.output.strip().splitlines()[-1].split("bot.example.org", 1)[1]
    row = db_session.scalar(select(SetPasswordToken))
    assert row.expires_at - row.created_at == timedelta(hours=72)
    assert path.rsplit("/", 1)[1] not in row.token_hash  # only the hash is stored
    clock.advance(hours=72)
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/console/welcome/not-a-token").status_code == 404


def test_expired_sign_in_form_shows_the_form_again(client, db_session):
    response = client.post("/console/login", data={"email": "jo@clinic.example",
                                                   "password": "whatever it is"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "sign-in form expired" in html and 'name="password"' in html
    assert "jo@clinic.example" in html
