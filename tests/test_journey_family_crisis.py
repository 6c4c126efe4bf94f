"""Journey: a family member texting about a crisis reaches staff, and learns nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import Alert, OutboxMessage
from tests.factories import make_counselor
from tests.test_family_support import full_opt_in, people, replies


def test_family_member_crisis_text_pages_staff_with_a_safe_reply(
    runner, text_in, db_session, twilio
):
    on_call = make_counselor(db_session, name="Dana Cole", on_call=True)
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    twilio.clear()
    response = text_in(ppl.family_phone, "he overdosed and isn't breathing, what do I do")
    response.close()
    [reply] = replies(response)
    assert "911" in reply and "naloxone" in reply
    assert "Alex" not in reply
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.participant_id, alert.phone) == ("crisis", None, ppl.family_phone)
    assert on_call.phone in {m["to"] for m in twilio.messages}


def test_family_crisis_note_is_still_forwarded_to_the_counselor(
    runner, text_in, db_session, twilio
):
    make_counselor(db_session, name="Dana Cole", on_call=True)
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    text_in(ppl.family_phone, "Message for counselor: he said he wants to kill himself").close()
    assert db_session.scalars(select(Alert)).one().level == "crisis"
    notes = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "family.note")).all()
    assert [n.to_phone for n in notes] == [ppl.counselor_phone]
    assert "kill himself" in notes[0].body
