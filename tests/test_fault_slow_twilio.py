"""Fault drill: Twilio stalls while crisis texts arrive.

The webhook answers (988/911) without waiting for Twilio; the pages, handed to the web process's
page sender, go out once: a page whose request Twilio accepted after the sender gave up is
reconciled, not sent again. Latency is measured in tests/bench/bench_slow_twilio.py, never here.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from bot.models import OutboxMessage
from bot.paging import wait_for_pages
from bot.senders import build_transport
from bot.sending import drain
from tests.conftest import PUBLIC_BASE_URL, sign
from tests.factories import make_care_team, make_participant


@pytest.fixture
def impatient(runtime):
    """A sender that gives up on Twilio after 0.3 s (10 s in production)."""
    runtime.settings = runtime.settings.with_overrides(send_timeout=0.3)
    runtime.transport = build_transport(runtime.settings)
    return runtime


def post_text(client, settings, phone: str, body: str, sid: str):
    """A signed webhook POST that does not wait for the page sender."""
    form = {"From": phone, "To": "+15005550006", "Body": body, "MessageSid": sid}
    signature = sign(PUBLIC_BASE_URL + "/twilio/messages", form, settings.twilio_auth_token)
    response = client.post("/twilio/messages", data=form,
                           headers={"X-Twilio-Signature": signature})
    response.close()
    return response


def test_crisis_texts_are_answered_while_twilio_stalls_and_pages_go_out_once(
    impatient, client, settings, db_session, twilio, clock
):
    team = make_care_team(db_session)
    other = make_participant(db_session, counselor=team["assigned"], name="Kai Moreno")
    twilio.stall()  # Twilio holds every request until resume()
    try:
        for n, phone in enumerate((team["alex"].phone, other.phone)):
            response = post_text(client, settings, phone, "I want to kill myself", f"SM{n:032x}")
            assert response.status_code == 200
            assert "988" in response.get_data(as_text=True)
        # Both texts were answered although Twilio had accepted nothing yet.
        assert twilio.messages == []
        wait_for_pages()  # the page sender gave up on the stalled requests (timeouts)
    finally:
        twilio.resume()
    pages = select(OutboxMessage).where(OutboxMessage.party == "counselor")
    rows = db_session.scalars(pages).all()
    assert len(rows) == 4  # assigned + on-call, for each crisis
    twilio.wait_for(4)  # the held requests reached Twilio and were accepted after all
    clock.advance(minutes=2)  # past the retry backoff
    drain(impatient)
    rows = db_session.scalars(pages.execution_options(populate_existing=True)).all()
    assert {r.state for r in rows} == {"sent"}
    assert sorted(r.twilio_sid for r in rows) == sorted(m["sid"] for m in twilio.messages)
    per_row = Counter((m["to"], m["body"]) for m in twilio.messages)
    assert len(per_row) == 4 and set(per_row.values()) == {1}  # none sent twice


def test_a_page_the_clock_sends_first_is_not_sent_again_by_the_page_sender(
    runtime, client, settings, db_session, twilio
):
    team = make_care_team(db_session)
    twilio.stall()
    try:
        post_text(client, settings, team["alex"].phone, "I want to kill myself", "SM" + "a" * 32)
    finally:
        twilio.resume()
    wait_for_pages()
    drain(runtime)  # the clock's pass meets rows the page sender already sent or holds
    wait_for_pages()
    per_to = Counter(m["to"] for m in twilio.messages)
    assert per_to == {team["assigned"].phone: 1, team["on_call"].phone: 1}



def test_the_webhook_never_waits_for_twilio(runtime, client, settings, db_session, twilio):
    runtime.settings = runtime.settings.with_overrides(send_timeout=120.0)  # patient sender
    runtime.transport = build_transport(runtime.settings)
    team = make_care_team(db_session)
    answered = []
    twilio.stall()
    try:
        post = threading.Thread(target=lambda: answered.append(post_text(
            client, settings, team["alex"].phone, "I want to kill myself", "SM" + "c" * 32)))
        post.start()
        # Loose bound: a webhook that waited for its pages would wait for as long as Twilio
        # stalls (here: until resume(), after the join).
        post.join(60)
        assert answered and answered[0].status_code == 200
        assert twilio.messages == []  # nothing was accepted while the webhook answered
    finally:
        twilio.resume()
    wait_for_pages()
    assert Counter(m["to"] for m in twilio.messages) == {
        team["assigned"].phone: 1, team["on_call"].phone: 1}
