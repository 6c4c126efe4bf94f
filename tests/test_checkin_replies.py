"""A check-in conversation: one clear reply per answer, never a doubled 'thanks'."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from schedules.sweep import run_pass
from tests.factories import make_participant

CHECKIN_TIME = datetime(2026, 11, 26, 22, 0, 30, tzinfo=UTC)  # 17:00 in New York


def replies(response) -> list[str]:
    return re.findall(r"<Message>(.*?)</Message>", response.get_data(as_text=True), re.S)


def test_routine_answers_get_one_reply_each(runtime, clock, db_session, text_in, twilio):
    alex = make_participant(db_session, checkin_time="17:00")
    clock.set(CHECKIN_TIME)
    run_pass(runtime)
    assert any("0-10" in m["body"] for m in twilio.messages if m["to"] == alex.phone)

    craving = replies(text_in(alex.phone, "2"))
    use = replies(text_in(alex.phone, "no"))
    mood = replies(text_in(alex.phone, "4"))
    assert len(craving) == 2 and "use" in craving[-1].lower()  # feedback, then the next question
    assert len(use) == 2 and "mood" in use[-1].lower()
    assert len(mood) == 1  # the closing thanks, not "thanks" twice
    assert mood[0].lower().count("thanks") == 1
