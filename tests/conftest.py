"""Shared fixtures: a fresh database per test, a controllable clock, a loopback Twilio."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bot.app import build_runtime, create_app
from bot.models import Base
from bot.paging import wait_for_pages
from bot.runtime import Runtime
from bot.settings import Settings
from tests.twilio_fake import FakeTwilio

PUBLIC_BASE_URL = "https://bot.example.org"
# Thursday 26 Nov 2026, 15:00 UTC = 10:00 in New York: inside default texting hours.
START = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class Clock:
    """A clock the test sets and advances; the app reads it through the runtime."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> datetime:
        """Jump to `when`."""
        self.current = when
        return when

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        self.current += timedelta(**delta)
        return self.current


def postgres_url() -> str | None:
    """The PostgreSQL server the suite runs against, when IOPBOT_TEST_DATABASE_URL names one."""
    url = os.environ.get("IOPBOT_TEST_DATABASE_URL", "").strip()
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    """One loopback Twilio for the whole run."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> FakeTwilio:
    """The loopback Twilio, emptied for this test."""
    fake_twilio.clear()
    return fake_twilio


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on PostgreSQL."""
    base = postgres_url()
    if base is None:
        yield f"sqlite:///{tmp_path / 'iopbot.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    wait_for_pages()  # nothing may still write to the schema when it is dropped
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clock() -> Clock:
    """The time as the app sees it; starts at START."""
    return Clock(START)


@pytest.fixture
def settings(database_url: str, twilio: FakeTwilio) -> Settings:
    """Settings for a deployment that texts through the loopback Twilio."""
    return Settings(
        database_url=database_url,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from_number="+15005550006",
        twilio_api_base_url=twilio.base_url,
        public_base_url=PUBLIC_BASE_URL,
        transport="twilio",
        send_rate=1000.0,
        send_timeout=2.0,
    ).validated()


@pytest.fixture
def runtime(settings: Settings, clock: Clock) -> Iterator[Runtime]:
    """The bot's runtime on a freshly created schema."""
    rt = build_runtime(settings, clock=clock)
    Base.metadata.create_all(rt.engine)
    yield rt
    wait_for_pages()  # a page still being sent would hold locks on the schema being dropped
    rt.engine.dispose()


@pytest.fixture
def app(runtime: Runtime):
    """The Flask app under test."""
    application = create_app(runtime=runtime)
    application.testing = True
    return application


@pytest.fixture
def client(app):
    """Flask test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """CLI runner for `iopbot` commands."""
    return app.test_cli_runner()


class FreshSession(Session):
    """A test session whose `get` always re-reads the row (never a stale identity-map copy)."""

    def get(self, entity, ident, **kwargs):
        """Session.get that refreshes an object already loaded."""
        kwargs.setdefault("populate_existing", True)
        return super().get(entity, ident, **kwargs)


@pytest.fixture
def db_session(runtime: Runtime) -> Iterator[Session]:
    """A session that sees every commit at once and never holds a lock (autocommit).

    Tests read what the app wrote and set up rows through it; each statement is its own
    transaction, and every query refreshes objects already loaded.
    """
    engine = create_engine(runtime.settings.database_url, isolation_level="AUTOCOMMIT")
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA busy_timeout=30000")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

    session = FreshSession(engine, expire_on_commit=False, autoflush=True)

    @event.listens_for(session, "do_orm_execute")
    def _fresh(state):
        if state.is_select:
            state.update_execution_options(populate_existing=True)

    yield session
    session.close()
    engine.dispose()


def sign(url: str, form: dict, token: str) -> str:
    """Twilio's X-Twilio-Signature for a POST of `form` to `url`."""
    return RequestValidator(token).compute_signature(url, form)


@pytest.fixture
def post_twilio(client, settings: Settings) -> Callable:
    """POST a correctly signed webhook: post_twilio('/twilio/messages', From=.., Body=..)."""

    def post(path: str, **form: str):
        signature = sign(PUBLIC_BASE_URL + path, form, settings.twilio_auth_token)
        response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        response.close()  # as a WSGI server does: runs call_on_close work
        wait_for_pages()  # pages go out on the page sender's threads; let them finish
        return response

    return post


@pytest.fixture
def text_in(post_twilio) -> Callable:
    """Send the bot a text as `phone`; returns the Flask response."""
    counter = iter(range(1, 1_000_000))

    def send(phone: str, body: str, sid: str | None = None):
        message_sid = sid or f"SM{next(counter):032x}"
        return post_twilio(
            "/twilio/messages",
            From=phone,
            To="+15005550006",
            Body=body,
            MessageSid=message_sid,
            AccountSid="AC" + "0" * 32,
        )

    return send


def pytest_collection_modifyitems(config, items):
    """`slow` tests (wheel install, doc blocks) run on the SQLite pass only: they never touch the
    suite's database, so running them again on the PostgreSQL pass would only cost minutes."""
    if postgres_url() is None:
        return
    kept = [item for item in items if item.get_closest_marker("slow") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
