"""Journey: a family update Twilio could not deliver is retried only under live consent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.models.family import Disclosure
from bot.sending import drain
from schedules.sweep import run_pass
from tests.test_family_support import full_opt_in, people, replies, to_phone

SUNDAY_5PM_NY = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)


def undelivered(post_twilio, sid: str) -> None:
    """Twilio's callback: the handset was unreachable (30003, retried with backoff)."""
    response = post_twilio("/twilio/status", MessageSid=sid, MessageStatus="undelivered",
                           ErrorCode="30003", AccountSid="AC" + "0" * 32)
    assert response.status_code == 204


def weekly_rows(db_session, phone):
    return [r for r in to_phone(db_session, phone) if r.kind == "family.weekly"]


def test_retry_of_undelivered_update_is_withdrawn_by_revocation(
    runner, db_session, runtime, text_in, post_twilio, twilio, clock
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="attendance,encouragement")
    drain(runtime)
    run_pass(runtime, clock.set(SUNDAY_5PM_NY), paced=False)
    [first] = weekly_rows(db_session, ppl.family_phone)
    assert first.state == "sent"
    undelivered(post_twilio, first.twilio_sid)
    retries = weekly_rows(db_session, ppl.family_phone)[1:]
    assert [r.state for r in retries] == ["pending"]  # a retry, recorded as a disclosure
    assert db_session.scalar(select(Disclosure.id).where(
        Disclosure.outbox_id == retries[0].id)) is not None
    twilio.clear()
    assert "no more updates" in replies(text_in(ppl.participant.phone, "REVOKE Maria"))[0]
    drain(runtime, now=clock.advance(hours=2), paced=False)
    to_family = [m["body"] for m in twilio.messages if m["to"] == ppl.family_phone]
    assert len(to_family) == 1 and "have stopped" in to_family[0]


def test_no_retry_is_queued_once_consent_has_ended(
    runner, db_session, runtime, text_in, post_twilio, twilio, clock
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="encouragement")
    drain(runtime)
    run_pass(runtime, clock.set(SUNDAY_5PM_NY), paced=False)
    [first] = weekly_rows(db_session, ppl.family_phone)
    text_in(ppl.participant.phone, "stop family updates")
    clock.advance(minutes=5)
    undelivered(post_twilio, first.twilio_sid)  # the callback arrives after the revocation
    assert len(weekly_rows(db_session, ppl.family_phone)) == 1
