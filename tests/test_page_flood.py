"""A flood of texts on one alert pages staff once per window, never delaying a new alert."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Alert, OutboxMessage
from bot.sending import drain
from bot.services.alerts import FOLD_WINDOW
from tests.factories import make_care_team

UNKNOWN = "+16285550142"
CRISIS = "I want to kill myself"


@pytest.fixture
def team(db_session):
    return make_care_team(db_session)


def pages(twilio) -> Counter:
    """How many texts each counselor phone got, by wording."""
    return Counter(("again" if "texted again" in m["body"] else "new", m["to"])
                   for m in twilio.messages)


def test_ten_crisis_texts_from_one_number_page_twice_then_once_per_window(
    text_in, twilio, team, clock, runtime, db_session
):
    for _ in range(10):
        assert "988" in text_in(UNKNOWN, CRISIS).get_data(as_text=True)
        clock.advance(seconds=5)
    assert len(db_session.scalars(select(Alert)).all()) == 1
    first = pages(twilio)
    staff = {to for _, to in first}
    # The alert's first page and the first repeat's page, once per counselor; not ten.
    assert staff and first == {(kind, to): 1 for kind in ("new", "again") for to in staff}
    # The other eight repeats are folded into one more page when the next window opens.
    clock.advance(seconds=FOLD_WINDOW.total_seconds())
    drain(runtime)
    assert pages(twilio) == {**first, **{("again", to): 2 for to in staff}}


def test_a_repeat_after_a_quiet_window_pages_at_once(text_in, twilio, team, clock):
    text_in(UNKNOWN, CRISIS)
    clock.advance(seconds=FOLD_WINDOW.total_seconds() + 60)
    before = len(twilio.messages)
    text_in(UNKNOWN, "I still want to die")
    assert any("texted again" in m["body"] for m in twilio.messages[before:])


def test_repeats_within_a_window_after_its_page_wait_for_the_next(
    text_in, twilio, team, clock, db_session
):
    text_in(UNKNOWN, CRISIS)
    clock.advance(seconds=FOLD_WINDOW.total_seconds() + 60)
    text_in(UNKNOWN, CRISIS)  # pages at once (window 1)
    sent = len(twilio.messages)
    for _ in range(5):
        clock.advance(seconds=10)
        text_in(UNKNOWN, CRISIS)
    assert len(twilio.messages) == sent  # folded
    queued = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.party == "counselor", OutboxMessage.state == "pending")).all()
    alert = db_session.scalars(select(Alert)).one()
    assert queued and {q.not_before for q in queued} == {alert.created_at + 2 * FOLD_WINDOW}


def test_a_new_alert_is_never_delayed_by_another_numbers_flood(text_in, twilio, team, clock):
    for _ in range(5):
        text_in(UNKNOWN, CRISIS)
    before = len(twilio.messages)
    text_in("+16285550999", CRISIS)
    assert len(twilio.messages) > before  # its first page went out at once
    text_in(team["alex"].phone, CRISIS)
    assert any(m["to"] == team["assigned"].phone for m in twilio.messages)


def test_a_participants_flood_is_folded_too(text_in, twilio, team, clock, db_session):
    alex = team["alex"]
    for _ in range(6):
        text_in(alex.phone, CRISIS)
        clock.advance(seconds=timedelta(seconds=20).total_seconds())
    per_phone = Counter(m["to"] for m in twilio.messages
                        if m["to"] in (team["assigned"].phone, team["on_call"].phone))
    assert set(per_phone.values()) == {2}  # the alert's page and one "texted again"
