"""Signing in and out: generic failures, lockout, rate limit, timeouts, sign-out everywhere."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.models import AuditEvent, StaffAccount, StaffSession
from bot.services import staff_auth
from tests.console.conftest import PASSWORD, make_staff, new_anon_client


def login(client, email, password, **extra):
    return client.post_form("/console/login", {"email": email, "password": password, **extra})


def actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_lands_on_alerts_and_is_audited(anon_client, db_session):
    staff = make_staff(db_session, role="counselor", email="jo@clinic.example")
    response = login(anon_client, "JO@clinic.example ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/alerts"
    assert anon_client.get("/console/alerts").status_code == 200
    row = db_session.scalar(select(StaffSession))
    assert row.staff_id == staff.id and row.verified and row.ended_at is None
    assert "staff.signed_in" in actions(db_session)


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(app, db_session):
    staff = make_staff(db_session, role="counselor")
    response = login(new_anon_client(app), staff.email, PASSWORD, next="/console/alerts/7")
    assert response.headers["Location"] == "/console/alerts/7"
    for target in ("https://evil.example/", "//evil.example", "/console/logout", "/healthz"):
        response = login(new_anon_client(app), staff.email, PASSWORD, next=target)
        assert response.headers["Location"] == "/console/alerts", target


def test_failure_never_says_whether_the_email_exists(anon_client, db_session):
    staff = make_staff(db_session, role="counselor")
    wrong = login(anon_client, staff.email, "not the right password")
    unknown = login(anon_client, "nobody@clinic.example", "not the right password")
    assert wrong.status_code == unknown.status_code == 401
    def page(response, email):
        html = response.get_data(as_text=True).replace(email, "EMAIL")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", html)

    assert page(wrong, staff.email) == page(unknown, "nobody@clinic.example")
    assert actions(db_session).count("staff.sign_in_failed") == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(anon_client, db_session, clock):
    staff = make_staff(db_session, role="counselor")
    for _ in range(5):
        assert login(anon_client, staff.email, "wrong password!!").status_code == 401
    assert "staff.locked" in actions(db_session)
    locked = login(anon_client, staff.email, PASSWORD)  # even the right password, same answer
    assert locked.status_code == 401
    assert "That email and password" in locked.get_data(as_text=True)
    clock.advance(minutes=15, seconds=1)
    assert login(anon_client, staff.email, PASSWORD).status_code == 302


def test_failures_are_rate_limited_per_address(anon_client, db_session):
    staff = make_staff(db_session, role="counselor")
    for n in range(staff_auth.ADDRESS_LIMIT):
        login(anon_client, f"guess{n}@clinic.example", "wrong password!!")
    refused = login(anon_client, staff.email, PASSWORD)
    assert refused.status_code == 429
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 0
    other_address = anon_client.post(
        "/console/login", data={"email": staff.email, "password": PASSWORD,
                                "csrf_token": anon_client.csrf_token},
        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 302


def test_idle_timeout_signs_out_after_fifteen_minutes(console_client, clock, db_session):
    client = console_client(role="counselor")
    clock.advance(minutes=14)
    assert client.get("/console/alerts").status_code == 200  # activity keeps it alive
    clock.advance(minutes=14)
    assert client.get("/console/alerts").status_code == 200
    clock.advance(minutes=15)
    response = client.get("/console/alerts")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    reasons = [e.detail.get("reason") for e in db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.signed_out"))]
    assert reasons == ["idle_timeout"]


def test_background_refresh_does_not_count_as_activity(console_client, clock):
    client = console_client(role="counselor")
    for _ in range(2):
        clock.advance(minutes=6)
        assert client.get("/console/alerts", headers={"X-Console-Poll": "1"}).status_code == 200
    clock.advance(minutes=6)
    expired = client.get("/console/alerts", headers={"X-Console-Poll": "1"})
    assert expired.status_code == 401  # the page reloads itself onto the login form
    landed = client.get("/console/alerts", follow_redirects=True).get_data(as_text=True)
    assert "You were signed out" in landed and 'name="password"' in landed


def test_absolute_timeout_even_when_active(console_client, clock, db_session):
    client = console_client(role="counselor")
    for _ in range(12 * 6 - 1):
        clock.advance(minutes=10)
        assert client.get("/console/alerts").status_code == 200
    clock.advance(minutes=10)
    assert client.get("/console/alerts").status_code == 302
    assert db_session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "staff.signed_out"))["reason"] == "absolute_timeout"


def test_timeouts_are_settings(app, runtime, console_client, clock, monkeypatch):
    monkeypatch.setattr(runtime, "settings",
                        runtime.settings.with_overrides(console_idle_minutes=2.0))
    client = console_client(role="counselor")
    clock.advance(minutes=2)
    assert client.get("/console/alerts").status_code == 302


def test_sign_out_ends_the_server_session(console_client, db_session):
    client = console_client(role="counselor")
    cookie = client.get_cookie("iopbot_console", path="/console")
    assert client.post_form("/console/logout").status_code == 302
    assert db_session.scalar(select(StaffSession.ended_at)) is not None
    # the old cookie, replayed, is worthless
    replay = type(client)(client.application)
    replay.set_cookie("iopbot_console", cookie.value, path="/console")
    assert replay.get("/console/alerts").status_code == 302
    assert "staff.signed_out" in actions(db_session)


def test_password_change_and_disable_sign_out_everywhere(console_client, runner, db_session):
    staff = make_staff(db_session, role="counselor")
    first, second = console_client(staff=staff), console_client(staff=staff)
    changed = first.post_form("/console/account/password", {
        "current": PASSWORD, "password": "a brand new passphrase", "confirm":
        "a brand new passphrase"})
    assert changed.status_code == 302
    assert first.get("/console/alerts").status_code == 200  # this browser got a new session
    assert second.get("/console/alerts").status_code == 302  # every other one is out
    runner.invoke(args=["staff", "disable", "--email", staff.email])
    assert first.get("/console/alerts").status_code == 302


def test_password_change_needs_the_current_one_and_a_good_new_one(console_client, db_session):
    client = console_client(role="counselor")
    for form, words in (
        ({"current": "wrong", "password": "a brand new passphrase",
          "confirm": "a brand new passphrase"}, "current password"),
        ({"current": PASSWORD, "password": "password1234", "confirm": "password1234"},
         "commonly used"),
        ({"current": PASSWORD, "password": "short", "confirm": "short"}, "12 characters"),
    ):
        response = client.post_form("/console/account/password", form)
        assert response.status_code == 400 and words in response.get_data(as_text=True)
    assert db_session.scalar(select(StaffAccount.generation)) == 1


def test_disabled_account_cannot_sign_in(anon_client, db_session):
    staff = make_staff(db_session, role="counselor", active=False)
    assert login(anon_client, staff.email, PASSWORD).status_code == 401


def test_a_signed_in_user_never_leaks_into_the_next_request(app, console_client):
    """`iopbot web` serves inside one long-lived app context; `g` must not carry the user."""
    from tests.console.conftest import new_anon_client

    signed_in = console_client(role="counselor")
    with app.app_context():  # as in a gunicorn worker forked from the CLI
        assert signed_in.get("/console/alerts").status_code == 200
        stranger = new_anon_client(app)
        assert stranger.get("/console/alerts").status_code == 302


def test_gunicorn_workers_run_each_request_in_a_fresh_context(app):
    from flask import g

    from bot.gunicorn_app import isolated

    seen = []

    @app.get("/probe")
    def probe():
        seen.append(g.get("mark"))
        g.mark = "set by an earlier request"
        return "ok"

    wsgi = isolated(app)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/probe", "SERVER_NAME": "x",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": None}
    with app.app_context():
        for _ in range(2):
            body = b"".join(wsgi(dict(environ), lambda *a: None))
            assert body == b"ok"
    assert seen == [None, None]
