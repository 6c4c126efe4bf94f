"""Family consent: bad input, the double opt-in, codes, revocation and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.models import AuditEvent, OutboxMessage, PhoneNumber
from bot.models.family import Consent, Disclosure, FamilyContact
from bot.sending import drain
from schedules.sweep import run_pass
from tests.test_family_support import (
    code_from,
    consent_text,
    full_opt_in,
    invite,
    only_consent,
    people,
    replies,
    to_phone,
)


def _nothing_stored(db_session):
    assert db_session.scalar(select(func.count(Consent.id))) == 0
    assert db_session.scalar(select(func.count(FamilyContact.id))) == 0
    assert db_session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("change, message", [
    ({"expires": ""}, "needs an expiry date"),
    ({"expires": "2026-11-26"}, "not in the future"),  # today in New York
    ({"expires": "2025-01-01"}, "not in the future"),
    ({"expires": "next year"}, "YYYY-MM-DD"),
    ({"share": "attendance,scores"}, "unknown scope scores"),
    ({"share": ""}, "at least one of"),
    ({"share": " , "}, "at least one of"),
])
def test_bad_invites_are_refused_and_store_nothing(runner, db_session, change, message):
    ppl = people(db_session)
    result = invite(runner, ppl, **change)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    _nothing_stored(db_session)


def test_family_phone_may_not_be_the_participant_a_counselor_or_opted_out(runner, db_session):
    ppl = people(db_session)
    for phone, message in [
        (ppl.participant.phone, "participant's own number"),
        (ppl.counselor_phone, "belongs to a counselor"),
        ("not a phone", "not a valid phone number"),
    ]:
        ppl.family_phone = phone
        result = invite(runner, ppl)
        assert result.exit_code == 1 and message in result.output, result.output
    db_session.add(PhoneNumber(phone="+14155550777", opted_out=True))
    db_session.flush()
    ppl.family_phone = "+14155550777"
    result = invite(runner, ppl)
    assert result.exit_code == 1 and "opted out" in result.output
    _nothing_stored(db_session)


def test_unknown_participant_and_second_live_consent_are_refused(runner, db_session):
    ppl = people(db_session)
    result = runner.invoke(args=["family", "list", "--participant", "+14155550999"])
    assert result.exit_code == 1 and "no participant" in result.output
    assert invite(runner, ppl).exit_code == 0
    again = invite(runner, ppl)
    assert again.exit_code == 1 and "already pending_participant" in again.output
    assert db_session.scalar(select(func.count(Consent.id))) == 1


def test_double_opt_in(runner, db_session, runtime, twilio, text_in):
    ppl = people(db_session)
    result = invite(runner, ppl, share="attendance,encouragement")
    assert result.exit_code == 0, result.output
    consent = only_consent(db_session)
    assert consent.state == "pending_participant" and consent.discloser == "Riverside Health"
    # The participant's consent text names recipient, what, purpose, expiry and how to revoke.
    body = consent_text(db_session, consent.id).body
    for element in ("Maria Lopez", "mother", "Riverside Health", "attended or missed",
                    "kind word", "2027-06-30", "REVOKE Maria", "Purpose"):
        assert element in body
    assert "summary" not in body and "milestones" not in body
    code = code_from(body)
    assert code not in consent.code_hash and code not in consent.consent_text
    drain(runtime)
    assert [m["to"] for m in twilio.messages] == [ppl.participant.phone]
    assert to_phone(db_session, ppl.family_phone) == []  # nothing to the family yet

    # A bare YES from the participant is not consent.
    text_in(ppl.participant.phone, "YES")
    db_session.refresh(consent)
    assert consent.state == "pending_participant"
    assert to_phone(db_session, ppl.family_phone) == []

    # Their own YES <code>: signed, and now the family member is invited.
    r = text_in(ppl.participant.phone, f"yes {code}")
    assert "invited Maria Lopez" in replies(r)[0]
    db_session.refresh(consent)
    assert consent.state == "pending_family" and consent.signed_message_sid
    assert consent.signed_at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    [invitation] = to_phone(db_session, ppl.family_phone)
    assert "Alex would like you" in invitation.body and "Reply YES to join" in invitation.body
    assert "42 CFR part 2" in invitation.body and "Rivera" not in invitation.body
    assert db_session.scalars(select(Disclosure.scope)).all() == ["invitation"]

    # Nothing flows until the family member says YES: not even on update day.
    run_pass(runtime, datetime(2026, 11, 29, 22, 0, tzinfo=UTC))  # Sunday 17:00 New York
    assert [r.kind for r in to_phone(db_session, ppl.family_phone)] == ["family.invite"]

    r = text_in(ppl.family_phone, "Yes")
    assert "you're signed up" in replies(r)[0] and "Alex" not in replies(r)[0]
    db_session.refresh(consent)
    assert consent.state == "active" and consent.family_joined_at is not None
    run_pass(runtime, datetime(2026, 12, 6, 22, 0, tzinfo=UTC))  # the next Sunday
    kinds = [r.kind for r in to_phone(db_session, ppl.family_phone)]
    assert kinds == ["family.invite", "family.weekly"]


def test_wrong_reused_and_expired_codes_change_nothing(runner, db_session, text_in, clock):
    ppl = people(db_session)
    invite(runner, ppl)
    consent = only_consent(db_session)
    code = code_from(consent_text(db_session, consent.id).body)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = text_in(ppl.participant.phone, f"YES {wrong}")
    assert "doesn't match" in replies(r)[0]
    db_session.refresh(consent)
    assert consent.state == "pending_participant"
    assert to_phone(db_session, ppl.family_phone) == []

    # The code from someone else's phone does nothing for this participant.
    r = text_in("+14155550888", f"YES {code}")
    db_session.refresh(consent)
    assert consent.state == "pending_participant"
    assert "Maria" not in " ".join(replies(r))

    text_in(ppl.participant.phone, f"YES {code}")
    db_session.refresh(consent)
    assert consent.state == "pending_family"
    r = text_in(ppl.participant.phone, f"YES {code}")
    assert "already used" in replies(r)[0]
    assert len(to_phone(db_session, ppl.family_phone)) == 1  # still just the one invitation

    # An expired code: a second consent, answered after the 7 days.
    ppl2 = people(db_session)
    invite(runner, ppl2)
    second = db_session.scalars(select(Consent).order_by(Consent.id.desc())).first()
    code2 = code_from(consent_text(db_session, second.id).body)
    clock.advance(days=8)
    r = text_in(ppl2.participant.phone, f"YES {code2}")
    assert "expired" in replies(r)[0]
    db_session.refresh(second)
    assert second.state == "pending_participant" and second.signed_at is None


def test_participant_revokes_one_by_name_and_family_only_hears_it_stopped(
    runner, db_session, runtime, text_in, twilio
):
    ppl = people(db_session)
    consent = full_opt_in(runner, db_session, text_in, ppl)
    r = text_in(ppl.participant.phone, "REVOKE maria")
    assert "Maria Lopez will get no more updates" in replies(r)[0]
    db_session.refresh(consent)
    assert consent.state == "revoked" and consent.revoked_by.startswith("participant:")
    stopped = to_phone(db_session, ppl.family_phone)[-1]
    assert stopped.kind == "family.stopped"
    assert "stopped" in stopped.body
    for word in ("Alex", "revoke", "REVOKE", "asked", "consent", "because"):
        assert word not in stopped.body
    # After revocation the family number is answered like a stranger's.
    r = text_in(ppl.family_phone, "why did the updates stop?")
    assert replies(r) == [runtime.program.text("unknown_sender", "en")]
    run_pass(runtime, datetime(2026, 12, 6, 22, 0, tzinfo=UTC))
    assert "family.weekly" not in [r.kind for r in to_phone(db_session, ppl.family_phone)]


def test_stop_family_updates_ends_every_consent(runner, db_session, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    other = people(db_session)  # a second family member for the same participant
    other.participant, other.counselor_phone = ppl.participant, ppl.counselor_phone
    assert invite(runner, other, name="Tom Lopez").exit_code == 0
    r = text_in(ppl.participant.phone, "Stop family updates")
    assert replies(r) == ["Done: family updates are off. No one gets updates about you now."]
    states = db_session.scalars(select(Consent.state)).all()
    assert states == ["revoked", "revoked"]
    # Tom was never texted (the participant never signed), so he gets no "stopped" text.
    assert to_phone(db_session, other.family_phone) == []
    r = text_in(ppl.participant.phone, "REVOKE Maria")
    assert "nothing changed" in replies(r)[0]


def test_revoke_with_an_unknown_name_changes_nothing(runner, db_session, text_in):
    ppl = people(db_session)
    consent = full_opt_in(runner, db_session, text_in, ppl)
    r = text_in(ppl.participant.phone, "revoke Bob")
    assert "No family updates are set up for bob" in replies(r)[0]
    db_session.refresh(consent)
    assert consent.state == "active"


def test_staff_revoke_list_and_errors(runner, db_session, text_in):
    ppl = people(db_session)
    consent = full_opt_in(runner, db_session, text_in, ppl, share="summary")
    listed = runner.invoke(args=["family", "list", "--participant", ppl.participant.phone])
    assert listed.exit_code == 0
    fields = listed.output.strip().split("\t")
    assert fields[:7] == [str(consent.id), "Maria Lopez", ppl.family_phone, "mother", "summary",
                          "active", "2027-06-30"]
    result = runner.invoke(args=["family", "revoke", "--participant", ppl.participant.phone,
                                 "--phone", ppl.family_phone])
    assert result.exit_code == 0 and f"consent {consent.id} revoked" in result.output
    again = runner.invoke(args=["family", "revoke", "--participant", ppl.participant.phone,
                                "--phone", ppl.family_phone])
    assert again.exit_code == 1 and "no consent in force" in again.output
    listed = runner.invoke(args=["family", "list", "--participant", ppl.participant.phone])
    assert "\trevoked\t" in listed.output
    audit = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("family.%")).order_by(AuditEvent.id)).all()
    assert audit == ["family.consent.requested", "family.consent.signed",
                     "family.consent.joined", "family.consent.revoked"]


def test_expiry_ends_consent_on_its_date(runner, db_session, runtime, text_in, clock):
    ppl = people(db_session)
    consent = full_opt_in(runner, db_session, text_in, ppl, expires="2026-12-14",
                          share="encouragement")
    # Sunday 13 Dec, 17:00 New York: still in force, the update goes.
    run_pass(runtime, datetime(2026, 12, 13, 22, 0, tzinfo=UTC))
    assert [r.kind for r in to_phone(db_session, ppl.family_phone)][-1] == "family.weekly"
    # Monday 14 Dec 00:00 New York = 05:00 UTC: ended.
    run_pass(runtime, datetime(2026, 12, 14, 4, 59, tzinfo=UTC))
    db_session.refresh(consent)
    assert consent.state == "active"
    run_pass(runtime, datetime(2026, 12, 14, 5, 0, tzinfo=UTC))
    db_session.refresh(consent)
    assert consent.state == "expired"
    ended = to_phone(db_session, ppl.participant.phone)[-1]
    assert ended.kind == "family.ended" and "Maria Lopez" in ended.body
    assert ended.not_before == datetime(2026, 12, 14, 14, 0, tzinfo=UTC)  # 09:00 their time
    # Nothing to the family after, not even a "stopped" text, and no updates.
    before = len(to_phone(db_session, ppl.family_phone))
    for day in (20, 27):
        run_pass(runtime, datetime(2026, 12, day, 22, 0, tzinfo=UTC))
    assert len(to_phone(db_session, ppl.family_phone)) == before


def test_pending_text_past_expiry_is_dropped_by_the_sender(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, expires="2026-12-14", share="encouragement")
    run_pass(runtime, datetime(2026, 12, 13, 22, 0, tzinfo=UTC))
    row = to_phone(db_session, ppl.family_phone)[-1]
    assert row.expires_at <= datetime(2026, 12, 14, 5, 0, tzinfo=UTC)


def test_add_family_by_text_asks_staff_and_stores_no_consent(db_session, runtime, text_in):
    ppl = people(db_session)
    r = text_in(ppl.participant.phone, "add family")
    assert "ask your counselor" in replies(r)[0]
    assert db_session.scalar(select(func.count(Consent.id))) == 0
    [note] = to_phone(db_session, ppl.counselor_phone)
    assert note.kind == "family.request" and "Alex R." in note.body
    r = text_in(ppl.participant.phone, "Agregar familia")
    assert len(to_phone(db_session, ppl.counselor_phone)) == 1  # one note a day
    assert replies(r)


def test_invite_while_outside_texting_hours_waits_for_the_window(runner, db_session, clock):
    clock.set(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))  # 22:00 in New York
    ppl = people(db_session)
    assert invite(runner, ppl).exit_code == 0
    row = consent_text(db_session, only_consent(db_session).id)
    assert row.not_before == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert row.expires_at == datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert timedelta(days=7) == row.expires_at - clock()
