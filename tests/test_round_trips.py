"""How many database round trips one inbound text costs, through a real signed webhook POST.

Counted on the runtime's engine: every statement, every BEGIN/COMMIT/ROLLBACK and every pool
pre-ping, in the request's own thread (the page sender's threads are not the text's cost).
The budgets are the counts the inbound path has now: a change that adds a round trip fails here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text

from bot.models import Alert, AlertEvent, AuditEvent, MessageLog
from bot.models.schedule import CheckIn
from schedules.sweep import run_pass
from tests.conftest import postgres_url
from tests.factories import make_care_team, make_participant

CHECKIN_TIME = datetime(2026, 11, 26, 22, 0, 30, tzinfo=UTC)  # 17:00 in New York
# Round trips per text, by dialect; SQLite's BEGIN IMMEDIATE is the BEGIN.
BUDGET = {
    "checkin_answer": {"sqlite": 6, "postgresql": 6},
    "free_text": {"sqlite": 5, "postgresql": 5},
    # PostgreSQL writes a page's alert events and audit rows in one statement (was 16).
    "crisis": {"sqlite": 16, "postgresql": 15},
    # A crisis page, in the page sender's thread, before its Twilio request: one transaction
    # that reads the number's opt-out, claims the row and beats (was 10: a claim, then a
    # second look at the opt-out in a transaction of its own).
    "page_before_send": {"sqlite": 5, "postgresql": 5},
}


class RoundTrips:
    """Statements, transaction boundaries and pings seen on one engine in one thread."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __len__(self) -> int:
        return len(self.seen)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1:2}. {s}" for i, s in enumerate(self.seen))


@contextmanager
def round_trips(engine, monkeypatch) -> Iterator[RoundTrips]:
    """Count the round trips `engine` makes in this thread inside the block."""
    counted, thread = RoundTrips(), threading.get_ident()

    def note(what: str) -> None:
        if threading.get_ident() == thread:
            counted.seen.append(" ".join(what.split())[:160])

    def statement(_conn, _cursor, sql, _params, _context, _many):
        if not sql.lstrip().upper().startswith("BEGIN"):  # counted by the begin event
            note(sql)

    listeners = [
        ("before_cursor_execute", statement),
        ("begin", lambda _conn: note("BEGIN")),
        ("commit", lambda _conn: note("COMMIT")),
        ("rollback", lambda _conn: note("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        note("pre-ping")
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    try:
        yield counted
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


@pytest.fixture
def measure(runtime, monkeypatch, text_in):
    """measure(phone, body) -> the round trips that text cost (after one warm-up request)."""
    text_in("+14155559999", "hello")  # a first request opens the pool's connection

    def run(phone: str, body: str) -> RoundTrips:
        with round_trips(runtime.engine, monkeypatch) as counted:
            assert text_in(phone, body).status_code == 200
        return counted

    return run


def dialect(runtime) -> str:
    """sqlite or postgresql."""
    return runtime.engine.dialect.name


def test_a_checkin_answer_stays_within_its_round_trips(runtime, clock, db_session, measure):
    alex = make_participant(db_session, checkin_time="17:00")
    clock.set(CHECKIN_TIME)
    run_pass(runtime)
    counted = measure(alex.phone, "3")
    checkin = db_session.scalars(select(CheckIn)).one()
    assert (checkin.craving, checkin.step) == (3, "use")  # the answer was understood
    print(f"check-in answer: {len(counted)} round trips\n{counted}")
    assert len(counted) <= BUDGET["checkin_answer"][dialect(runtime)], str(counted)


def test_free_text_stays_within_its_round_trips(runtime, db_session, measure):
    alex = make_participant(db_session)
    counted = measure(alex.phone, "had a good day at work today")
    assert db_session.scalars(select(Alert)).first() is None
    print(f"free text: {len(counted)} round trips\n{counted}")
    assert len(counted) <= BUDGET["free_text"][dialect(runtime)], str(counted)


def test_a_crisis_text_stays_within_its_round_trips(runtime, db_session, measure):
    team = make_care_team(db_session)
    counted = measure(team["alex"].phone, "I want to kill myself")
    alert = db_session.scalars(select(Alert)).one()
    assert alert.level == "crisis"
    # Both pages' events and audit rows were written, whatever the dialect's statements.
    events = db_session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                .order_by(AlertEvent.id)).all()
    assert [e.action for e in events] == ["created", "notified", "notified"]
    assert {e.counselor_id for e in events[1:]} == {team["assigned"].id, team["on_call"].id}
    audits = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id)
        .order_by(AuditEvent.id)).all()
    assert audits == ["alert.raised", "alert.notified", "alert.notified"]
    print(f"crisis text: {len(counted)} round trips\n{counted}")
    assert len(counted) <= BUDGET["crisis"][dialect(runtime)], str(counted)


def test_a_crisis_page_leaves_within_its_round_trips(runtime, db_session, text_in, monkeypatch):
    from bot.sending import send_now

    team = make_care_team(db_session)
    other = make_participant(db_session, counselor=team["assigned"], name="Blair Chen")
    handed: list[list[int]] = []
    monkeypatch.setattr("handlers.webhook.send_pages_soon", lambda _rt, ids: handed.append(ids))
    text_in(other.phone, "I want to kill myself")
    text_in(team["alex"].phone, "I want to kill myself")
    assert send_now(runtime, handed[0][:1]).sent == 1  # this process's first beat inserts its row
    before_send: list[int] = []
    real_send = runtime.transport.send

    def send(*args, **kwargs):
        before_send.append(len(counted))
        return real_send(*args, **kwargs)

    monkeypatch.setattr(runtime.transport, "send", send)
    with round_trips(runtime.engine, monkeypatch) as counted:
        assert send_now(runtime, handed[1][:1]).sent == 1
    print(f"crisis page: {before_send[0]} round trips before Twilio\n{counted}")
    assert before_send[0] <= BUDGET["page_before_send"][dialect(runtime)], str(counted)


def test_the_counter_sees_an_added_statement(runtime, db_session, measure, monkeypatch):
    """The budget can fail: one more query in the inbound path is one more round trip."""
    alex = make_participant(db_session)
    before = len(measure(alex.phone, "had a good day at work today"))
    import handlers.dispatch as dispatch

    original = dispatch.handle_inbound

    def one_more(session, *args, **kwargs):
        session.execute(select(1))
        return original(session, *args, **kwargs)

    monkeypatch.setattr(dispatch, "handle_inbound", one_more)
    monkeypatch.setattr("handlers.webhook.handle_inbound", one_more)
    after = len(measure(alex.phone, "another good day"))
    assert after == before + 1


@pytest.mark.skipif(postgres_url() is None, reason="needs a server that can drop a connection")
def test_a_dead_pooled_connection_still_answers_the_text(runtime, db_session, text_in):
    """Without a pre-ping, a connection the server dropped is found dead by the text's first
    statement; the webhook retries once on a fresh connection and the text is stored."""
    alex = make_participant(db_session)
    runtime.engine.dispose()
    assert text_in(alex.phone, "hello").status_code == 200  # the pool holds one connection
    with runtime.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    assert db_session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    response = text_in(alex.phone, "had a good day at work today")
    assert response.status_code == 200 and "<Message>" in response.get_data(as_text=True)
    bodies = db_session.scalars(select(MessageLog.body).where(MessageLog.direction == "in"))
    assert "had a good day at work today" in list(bodies)
