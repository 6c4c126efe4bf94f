"""A crisis's pages (counselor and on-call) are separate jobs for the page sender, sent at once."""

from __future__ import annotations

import threading

from bot import paging
from bot.sending import send_now as real_send_now
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
