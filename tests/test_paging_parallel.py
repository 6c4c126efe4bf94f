"""A crisis's pages (counselor and on-call) are separate jobs for the page sender, sent at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from bot import paging
from bot.outbox import PRIORITY_CRISIS, enqueue, hold_phone, mark_opted_out
from bot.sending import send_now as real_send_now
from tests.conftest import postgres_url
from tests.factories import make_care_team


def test_the_pages_of_one_batch_are_sent_at_the_same_time(monkeypatch):
    both_sending = threading.Barrier(2, timeout=5)
    calls: list[list[int]] = []

    def send_now(runtime, ids):
        calls.append(list(ids))
        both_sending.wait()  # passes only while the other page is being sent too

    monkeypatch.setattr(paging, "send_now", send_now)
    sender = paging.PageSender(threads=2)
    sender.submit(None, [7, 9, 7])
    sender.wait_idle()
    assert sorted(calls) == [[7], [9]]  # one job per page, a repeated id once
    assert not both_sending.broken  # sent one after the other, the barrier would have timed out


def test_a_crisis_text_hands_each_page_to_the_sender_and_both_go_out(
        monkeypatch, text_in, db_session, twilio):
    people = make_care_team(db_session)
    jobs: list[list[int]] = []

    def send_now(runtime, ids):
        jobs.append(list(ids))
        return real_send_now(runtime, ids)

    monkeypatch.setattr(paging, "send_now", send_now)
    response = text_in(people["alex"].phone, "I want to kill myself")
    assert response.status_code == 200
    paging.wait_for_pages()
    assert len(jobs) == 2 and all(len(ids) == 1 for ids in jobs)
    assert sorted(m["to"] for m in twilio.messages) == sorted(
        [people["assigned"].phone, people["on_call"].phone])


@pytest.mark.skipif(postgres_url() is None, reason="SQLite takes one writer at a time anyway")
def test_a_page_waits_out_a_stop_being_handled_for_its_number(runtime, clock, twilio):
    """The page's claim reads the number's opt-out under a share lock: a STOP still being
    handled for that number (its row held) is waited for, and then wins."""
    phone = "+14155550177"
    with runtime.Session() as session, session.begin():
        hold_phone(session, phone)  # the number has texted before: its row exists
        page = enqueue(session, to=phone, body="Alert 1 CRISIS", kind="alert.crisis",
                       dedupe_key="alert:1:step0:1", now=clock(), priority=PRIORITY_CRISIS,
                       party="counselor")
    reports = []
    with runtime.Session() as stop, stop.begin():
        assert not hold_phone(stop, phone)  # a STOP from that number is being handled
        sender = threading.Thread(target=lambda: reports.append(real_send_now(runtime, [page.id])))
        sender.start()
        # Hold the STOP open until the page is seen waiting for the number's row (or is done).
        deadline = time.monotonic() + 30
        while sender.is_alive() and not lock_waiters(runtime) and time.monotonic() < deadline:
            time.sleep(0.01)
        mark_opted_out(stop, phone, clock())
    sender.join(timeout=30)
    assert reports and (reports[0].sent, reports[0].suppressed) == (0, 1)
    assert twilio.messages == []


def lock_waiters(runtime) -> int:
    """Sessions of this database waiting for a row lock right now."""
    with runtime.engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar()
