"""`iopbot doctor`: one line per check, the fix on failures, exit 1 when anything fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from bot.app import build_runtime, create_app
from bot.cli import build_group
from bot.db import make_engine
from bot.doctor import FAIL, OK, SKIP, run_checks
from bot.health import record_pass
from bot.migrate import upgrade
from bot.settings import Settings

SERVICE = "MG" + "a" * 32


@pytest.fixture
def migrated(database_url: str) -> Iterator[str]:
    """The test database, migrated with Alembic (doctor compares it with the latest revision)."""
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    yield database_url


def beat(settings: Settings, when: datetime) -> None:
    """Record a finished clock pass at `when`."""
    rt = build_runtime(settings)
    with rt.Session() as session, session.begin():
        record_pass(session, when)
    rt.engine.dispose()


@pytest.fixture
def served(settings: Settings, migrated: str) -> Iterator[str]:
    """The bot served on loopback; yields its base URL (what PUBLIC_BASE_URL would be)."""
    server = make_server("127.0.0.1", 0, None)
    base = f"http://127.0.0.1:{server.server_port}"
    server.server_close()
    runtime = build_runtime(settings.with_overrides(public_base_url=base))
    server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), create_app(runtime=runtime))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()
    runtime.engine.dispose()


def checks(settings: Settings, now: datetime | None = None) -> dict[str, tuple[str, str]]:
    """{check name: (status, line)}."""
    at = now or datetime.now(UTC)
    return {c.name: (c.status, c.line()) for c in run_checks(lambda: settings, lambda: at)}


def env_for(settings: Settings) -> dict[str, str]:
    """The environment a deployment with `settings` would have."""
    env = {
        "DATABASE_URL": settings.database_url, "IOPBOT_TRANSPORT": settings.transport,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token or "",
        "TWILIO_FROM_NUMBER": settings.twilio_from_number or "",
        "TWILIO_MESSAGING_SERVICE_SID": settings.twilio_messaging_service_sid or "",
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "PUBLIC_BASE_URL": settings.public_base_url or "",
    }
    return env


def test_all_green_exits_zero_with_one_line_per_check(settings, served, twilio, monkeypatch):
    ready = settings.with_overrides(public_base_url=served)
    beat(ready, datetime.now(UTC))
    for name, value in env_for(ready).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(build_group(), ["doctor"])
    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[-1] == "all checks passed"
    for expected in ("settings", "time zone data", "clinic files", "database", "schema", "clock",
                     "twilio credentials", "twilio sender", "/twilio/messages", "/twilio/status"):
        assert any(line.startswith(f"ok   {expected}:") for line in lines), expected
    # The self-requests were signed and refused as empty: nothing was stored or sent.
    assert twilio.messages == []


def test_a_failure_exits_one_and_names_the_fix(settings, migrated, monkeypatch):
    for name, value in env_for(settings.with_overrides(public_base_url=None)).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(build_group(), ["doctor"])  # the clock never ran
    assert result.exit_code == 1
    assert "fail clock: no clock pass recorded yet -> fix: start the clock process" in result.output
    assert result.output.splitlines()[-1] == "1 check(s) failed"


def test_a_bad_setting_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "not-a-sid")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x")
    result = CliRunner().invoke(build_group(), ["doctor"])
    assert result.exit_code == 1
    assert result.output.startswith("fail settings: TWILIO_ACCOUNT_SID must look like AC")
    assert "Traceback" not in result.output


def test_schema_behind_and_unreachable_database(settings, database_url):
    found = checks(settings.with_overrides(public_base_url=None))  # nothing migrated
    assert found["database"][0] == OK
    assert found["schema"][0] == FAIL and "run `iopbot db upgrade`" in found["schema"][1]
    down = settings.with_overrides(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", public_base_url=None
    )
    found = checks(down)
    assert found["database"][0] == FAIL and "check DATABASE_URL" in found["database"][1]


def test_clock_must_have_passed_within_three_ticks(settings, migrated):
    quiet = settings.with_overrides(public_base_url=None, tick_seconds=30)
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    beat(quiet, now - timedelta(seconds=89))
    assert checks(quiet, now)["clock"][0] == OK
    beat(quiet, now - timedelta(seconds=91))
    status, line = checks(quiet, now)["clock"]
    assert status == FAIL and "last pass 91s ago (limit 90s)" in line


def test_twilio_credentials_and_sender(settings, migrated, twilio):
    quiet = settings.with_overrides(public_base_url=None)
    assert checks(quiet)["twilio sender"][0] == OK
    twilio.phone_numbers = {"+15005550001"}
    status, line = checks(quiet)["twilio sender"]
    assert status == FAIL and "+15005550006 is not a number of this account" in line
    wrong = quiet.with_overrides(twilio_auth_token="0" * 32)
    found = checks(wrong)
    assert found["twilio credentials"][0] == FAIL
    assert "refused the credentials (401)" in found["twilio credentials"][1]
    assert "TWILIO_AUTH_TOKEN" in found["twilio credentials"][1]


def test_messaging_service_must_exist(settings, migrated, twilio):
    quiet = settings.with_overrides(public_base_url=None, twilio_messaging_service_sid=SERVICE)
    assert checks(quiet)["twilio sender"][0] == FAIL
    twilio.messaging_services = {SERVICE}
    status, line = checks(quiet)["twilio sender"]
    assert status == OK and SERVICE in line


def test_console_transport_skips_twilio(settings, migrated):
    console = Settings(database_url=settings.database_url).validated()
    found = checks(console)
    assert found["twilio"][0] == SKIP
    assert found["webhook URLs"][0] == SKIP
    assert "twilio credentials" not in found


def test_public_url_with_the_wrong_address_or_token(settings, served):
    # The bot believes it is reached at `served`; Twilio (and doctor) call another name for it.
    other = served.replace("127.0.0.1", "localhost")
    status, line = checks(settings.with_overrides(public_base_url=other))["/twilio/messages"]
    assert status == FAIL and "refused the signature" in line
    nowhere = settings.with_overrides(public_base_url="http://127.0.0.1:1")
    status, line = checks(nowhere)["/twilio/status"]
    assert status == FAIL and "unreachable" in line and "PUBLIC_BASE_URL" in line


def test_each_clock_tick_records_its_pass(runtime, clock):
    from bot.health import last_pass
    from schedules.clock import tick

    with runtime.Session() as session:
        assert last_pass(session) is None
    tick(runtime)
    clock.advance(seconds=30)
    tick(runtime)
    with runtime.Session() as session:
        assert last_pass(session) == clock()
