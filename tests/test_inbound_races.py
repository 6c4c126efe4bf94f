"""Requests for one number racing each other: no STOP lost, nothing answered after a STOP.

The deterministic tests hold a phone row in a second PostgreSQL transaction (as a concurrent
STOP or first text would) while the app handles a request; the threaded rounds race real
requests through the WSGI app on both databases.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from bot.sending import drain
from tests.conftest import PUBLIC_BASE_URL, postgres_url, sign
from tests.factories import make_participant

on_postgres = pytest.mark.skipif(postgres_url() is None, reason="needs PostgreSQL row locks")
_sids = itertools.count(1)
# Numbers raced in the threaded test (one round each); raise it to hunt for rare interleavings.
ROUNDS = int(os.environ.get("IOPBOT_RACE_ROUNDS", "5"))


def post(app, settings, path: str, **form: str):
    """A signed webhook through a client of its own (one per thread)."""
    signature = sign(PUBLIC_BASE_URL + path, form, settings.twilio_auth_token)
    response = app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})
    response.close()
    return response


def text_from(app, settings, phone: str, body: str):
    """An inbound text from `phone` with a fresh MessageSid."""
    return post(app, settings, "/twilio/messages", From=phone, To="+15005550006", Body=body,
                MessageSid=f"SM{next(_sids):032x}")


def replies(response) -> list[str]:
    return re.findall(r"<Message>(.*?)</Message>", response.get_data(as_text=True), re.S)


def in_thread(fn, *args) -> tuple[threading.Thread, list]:
    """Run fn(*args) in a thread; the list receives its result or exception."""
    out: list = []

    def run():
        try:
            out.append(fn(*args))
        except Exception as exc:  # reported by the test's assertion
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


class HeldRow:
    """A second transaction holding a phone row (as a concurrent request would) until commit."""

    open: list[HeldRow] = []

    def __init__(self, database_url: str, sql: str, phone: str) -> None:
        self.engine = create_engine(database_url)
        self.conn = self.engine.connect()
        self.conn.execute(text(sql), {"phone": phone})
        self.pid = self.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        HeldRow.open.append(self)

    def wait_for_a_waiter(self, timeout: float = 5.0) -> bool:
        """Until another session waits on this one (the app reached the row); False if none."""
        with self.engine.connect() as probe:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                waiting = probe.execute(
                    text("SELECT count(*) FROM pg_stat_activity "
                         "WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": self.pid}
                ).scalar_one()
                if waiting:
                    return True
                probe.rollback()
                time.sleep(0.02)
        return False  # the code under test never waited (it read the row without a lock)

    def commit(self) -> None:
        if self in HeldRow.open:
            HeldRow.open.remove(self)
            self.conn.commit()
            self.conn.close()
            self.engine.dispose()


@pytest.fixture(autouse=True)
def _release_held_rows():
    """A failing test must not leave a transaction that blocks dropping its schema."""
    yield
    for held in list(HeldRow.open):
        held.commit()


INSERT = "INSERT INTO phone_numbers (phone, opted_out) VALUES (:phone, false)"
INSERT_STOP = ("INSERT INTO phone_numbers (phone, opted_out, opted_out_at) "
               "VALUES (:phone, true, now())")


@pytest.mark.postgres_only
@on_postgres
@pytest.mark.parametrize("body", ["STOP", "stop texting me"])
def test_a_stop_racing_the_creation_of_its_phone_row_is_not_lost(
    app, settings, database_url, db_session, body
):
    alex = make_participant(db_session)
    held = HeldRow(database_url, INSERT, alex.phone)  # e.g. a status callback flagging it
    thread, out = in_thread(text_from, app, settings, alex.phone, body)
    assert held.wait_for_a_waiter()  # the STOP is now waiting on the row
    held.commit()
    thread.join(30)
    assert not isinstance(out[0], Exception), out[0]
    assert out[0].status_code == 200
    assert db_session.get(PhoneNumber, alex.phone).opted_out
    assert db_session.scalar(select(MessageLog).where(MessageLog.direction == "in")).intent \
        == "opt_out"


@pytest.mark.postgres_only
@on_postgres
def test_a_delivery_error_racing_a_stop_records_both(
    app, settings, database_url, db_session, runtime, clock, twilio
):
    alex = make_participant(db_session)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=alex.phone, body="Reminder: group Tue 6pm.", kind="reminder",
                dedupe_key="rem:1", now=clock(), participant_id=alex.id)
    assert drain(runtime).sent == 1
    sid = twilio.messages[0]["sid"]
    held = HeldRow(database_url, INSERT_STOP, alex.phone)  # a STOP being committed
    thread, out = in_thread(lambda: post(app, settings, "/twilio/status", MessageSid=sid,
                                         MessageStatus="undelivered", ErrorCode="30005"))
    held.wait_for_a_waiter()
    held.commit()
    thread.join(30)
    assert not isinstance(out[0], Exception), out[0]
    assert out[0].status_code in (200, 204)
    phone = db_session.get(PhoneNumber, alex.phone)
    assert phone.opted_out and phone.flag_code == 30005


@pytest.mark.postgres_only
@on_postgres
def test_an_answer_decided_after_a_committed_stop_sends_nothing(
    app, settings, database_url, db_session
):
    alex = make_participant(db_session)
    assert replies(text_from(app, settings, alex.phone, "hello"))  # it would be answered
    held = HeldRow(database_url, "UPDATE phone_numbers SET opted_out = true, "
                   "opted_out_at = now() WHERE phone = :phone", alex.phone)  # STOP in flight
    thread, out = in_thread(text_from, app, settings, alex.phone, "8")
    held.wait_for_a_waiter()  # without a lock the answer decides at once, and wrongly
    held.commit()  # the STOP commits before the answer has decided anything
    thread.join(30)
    assert not isinstance(out[0], Exception), out[0]
    assert out[0].status_code == 200 and replies(out[0]) == []
    answered = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_phone == alex.phone,
                                    OutboxMessage.dedupe_key.like("reply:%"))
    ).all()
    assert len(answered) == 1  # only the reply to "hello", sent before the STOP


@pytest.mark.postgres_only
@on_postgres
def test_the_sender_waits_for_a_stop_being_handled_and_then_sends_nothing(
    app, settings, database_url, db_session, runtime, clock, twilio
):
    alex = make_participant(db_session)
    text_from(app, settings, alex.phone, "hello")  # the number's row exists
    with runtime.Session() as s, s.begin():
        enqueue(s, to=alex.phone, body="Reminder: group Tue 6pm.", kind="reminder",
                dedupe_key="rem:1", now=clock(), participant_id=alex.id)
    held = HeldRow(database_url, "UPDATE phone_numbers SET opted_out = true "
                   "WHERE phone = :phone", alex.phone)
    thread, out = in_thread(drain, runtime)
    held.wait_for_a_waiter()
    held.commit()
    thread.join(30)
    assert not isinstance(out[0], Exception), out[0]
    assert twilio.messages == []
    row = db_session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "rem:1"))
    assert row.state == "suppressed"


# Real requests racing: several rounds per number, both databases ----------------------------


def race(*calls) -> list:
    """Start every call at the same moment, each in its own thread; their results."""
    barrier = threading.Barrier(len(calls))

    def at_once(call):
        barrier.wait(10)
        return call()

    threads = [in_thread(at_once, call) for call in calls]
    for thread, _ in threads:
        thread.join(60)
    return [out[0] if out else TimeoutError("no answer") for _, out in threads]


def test_concurrent_stop_answer_and_callbacks_lose_no_stop_and_send_nothing_after(
    app, settings, db_session, runtime, clock, twilio
):
    people = [make_participant(db_session) for _ in range(ROUNDS)]
    with runtime.Session() as s, s.begin():
        for p in people:
            enqueue(s, to=p.phone, body="Reminder: group Tue 6pm.", kind="reminder",
                    dedupe_key=f"rem:{p.id}", now=clock(), participant_id=p.id)
    assert drain(runtime).sent == len(people)
    sid_of = {m["to"]: m["sid"] for m in twilio.messages}
    results = []
    for p in people:  # one round per number: two STOPs, two answers and a 30005 callback at once
        results += race(
            lambda p=p: text_from(app, settings, p.phone, "STOP"),
            lambda p=p: text_from(app, settings, p.phone, "8"),
            lambda p=p: text_from(app, settings, p.phone, "stop texting me"),
            lambda p=p: text_from(app, settings, p.phone, "hi, running late"),
            lambda p=p: post(app, settings, "/twilio/status", MessageSid=sid_of[p.phone],
                             MessageStatus="undelivered", ErrorCode="30005"),
        )
    assert [r for r in results if isinstance(r, Exception) or r.status_code >= 500] == []
    for p in people:
        assert db_session.get(PhoneNumber, p.phone).opted_out, "a STOP was lost"
        # Each text's log row is written under the number's lock, so ids are decision order.
        texts = db_session.scalars(
            select(MessageLog).where(MessageLog.phone == p.phone, MessageLog.direction == "in")
            .order_by(MessageLog.id)
        ).all()
        assert len(texts) == 4 and all(t.state == "processed" for t in texts)
        first_stop = next(i for i, t in enumerate(texts) if t.intent == "opt_out")
        answered_after = [
            t.body for t in texts[first_stop + 1:]
            if db_session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.dedupe_key.like(f"reply:{t.twilio_sid}:%")))
        ]
        assert answered_after == [], "answered after a committed STOP"
    clock.advance(minutes=1)
    drain(runtime)
    assert len(twilio.messages) == len(people)  # nothing queued for them went out either
