"""Nothing outside consent reaches a family member; nobody's questions draw anything out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.models import OutboxMessage
from bot.models.family import Consent
from bot.rules.family_scopes import MILESTONE_KINDS, SCOPES, scope_list
from bot.sending import drain
from bot.services.alerts import raise_alert
from schedules.sweep import run_pass
from tests.conftest import START
from tests.factories import make_group
from tests.test_family_support import (
    PROBES,
    add_checkin,
    code_from,
    consent_text,
    full_opt_in,
    invite,
    people,
    replies,
    to_phone,
)

SUNDAY_5PM_NY = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
NUM, DATE = "\x01NUM\x01", "\x01DATE\x01"


# the checker: every family text must be made entirely of consented templates ----------------


def _pattern(program, key, language, **values) -> str:
    """Regex source matching message `key` with numbers/dates as wildcards."""
    text = program.text(key, language, **values)
    source = re.escape(text)
    return source.replace(re.escape(NUM), r"\d+").replace(re.escape(DATE), r"\d{4}-\d\d-\d\d")


def allowed_messages(program, scopes, language, first) -> list[re.Pattern]:
    """Every complete text a family member under `scopes` may receive, as regexes."""
    notice = program.text("family.notice", language)
    footer = re.escape(program.text("family.footer", language, notice=notice))
    v = {"participant": first}
    sources = [
        _pattern(program, "family.invite", language, participant=first, expires=DATE,
                 frequency=program.text("family.frequency", language), notice=notice,
                 scopes=scope_list(program, scopes, language)),
        _pattern(program, "family.stopped", language),
        # answers to the family member's own texts (they name no one)
        _pattern(program, "family.joined", language,
                 frequency=program.text("family.frequency", language)),
        _pattern(program, "family.neutral", language),
        _pattern(program, "family.note.ack", language),
        *(_pattern(program, key, language) for key in
          ("unknown_sender", "help", "optout.confirm", "optin.again")),
    ]
    parts = []
    if "attendance" in scopes:
        parts.append("(?:" + "|".join([
            _pattern(program, "family.weekly.attendance", language, attended=NUM,
                     scheduled=NUM, **v),
            _pattern(program, "family.weekly.no_sessions", language, **v)]) + ")")
    if "summary" in scopes:
        parts.append(_pattern(program, "family.weekly.summary", language, answered=NUM,
                              asked=NUM, attended=NUM, **v))
    if "encouragement" in scopes:
        parts.append(_pattern(program, "family.weekly.encouragement", language, **v))
    if parts:
        header = _pattern(program, "family.weekly.header", language, **v)
        body = "".join(f"(?: {p})?" for p in parts)
        sources.append(f"{header}{body} {footer}")
    if "milestones" in scopes:
        sources += [_pattern(program, f"family.milestone.{kind}", language, n=NUM, **v)
                    + " " + footer for kind in MILESTONE_KINDS]
    return [re.compile(s, re.S) for s in sources]


def violations(rows, patterns, numbers_allowed: set[int] | None = None,
               notice: str = "") -> list[str]:
    """Texts not fully made of allowed templates, or weekly updates carrying a number that is
    not one of the week's true counts (the notice's "42 CFR part 2" aside)."""
    bad = []
    for row in rows:
        if not any(p.fullmatch(row.body) for p in patterns):
            bad.append(row.body)
        elif numbers_allowed is not None and row.kind == "family.weekly":
            numbers = {int(n) for n in re.findall(r"\d+", row.body.replace(notice, ""))}
            if not numbers <= numbers_allowed:
                bad.append(row.body)
    return bad


def _row(body, kind="family.weekly"):
    return OutboxMessage(body=body, kind=kind)


def test_the_checker_can_fail(runtime):
    program = runtime.program
    patterns = allowed_messages(program, ("attendance",), "en", "Alex")
    good = ("Riverside Health reminders weekly update: Alex attended 2 of 3 scheduled "
            "group sessions. " + program.text("family.footer", "en",
                                              notice=program.text("family.notice", "en")))
    assert violations([_row(good)], patterns) == []
    summary = good.replace("sessions. Federal", "sessions. Alex answered 5 of 7 daily check-ins "
                                                 "and attended 2 sessions. Federal")
    craving = good.replace("sessions. Federal", "sessions. Craving 9. Federal")
    named = program.text("family.neutral", "en") + " Alex is doing fine."
    assert violations([_row(summary), _row(craving), _row(named, "reply")], patterns) == [
        summary, craving, named]
    notice = program.text("family.notice", "en")
    assert violations([_row(good)], patterns, numbers_allowed={2, 3}, notice=notice) == []
    assert violations([_row(good)], patterns, numbers_allowed={1, 3}, notice=notice) == [good]


# strangers and family members learn nothing ---------------------------------------------------


def test_a_stranger_learns_nothing_not_even_whether_someone_is_a_participant(
    db_session, runtime, text_in
):
    people(db_session)  # Alex Rivera is enrolled
    neutral = runtime.program.text("unknown_sender", "en")
    for probe in [*PROBES, "is Jamie Cole in treatment?", "YES 123456", "Message for counselor: "
                  "tell Alex to call me"]:
        assert replies(text_in("+14155550901", probe)) == [neutral]
    sent = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind != "reply")).all()
    assert sent == []


def test_a_family_member_gets_the_same_neutral_answer_to_every_question(
    runner, db_session, runtime, text_in
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    neutral = runtime.program.text("family.neutral", "en")
    for probe in PROBES:
        assert replies(text_in(ppl.family_phone, probe)) == [neutral]
    assert "Alex" not in neutral
    assert [r.kind for r in to_phone(db_session, ppl.family_phone)] == ["family.invite"]
    assert to_phone(db_session, ppl.counselor_phone) == []
    assert to_phone(db_session, ppl.participant.phone)[-1].kind == "family.consent"


def test_a_number_the_participant_never_confirmed_is_a_stranger(runner, db_session, runtime,
                                                                 text_in):
    ppl = people(db_session)
    assert invite(runner, ppl).exit_code == 0  # staff entered it; no YES <code> yet
    neutral = runtime.program.text("unknown_sender", "en")
    for probe in ["YES", "how is Alex doing?", "Message for counselor: hi"]:
        assert replies(text_in(ppl.family_phone, probe)) == [neutral]
    assert db_session.scalars(select(Consent.state)).one() == "pending_participant"


def test_an_invited_family_member_gets_the_neutral_answer_before_joining(
    runner, db_session, runtime, text_in
):
    ppl = people(db_session)
    invite(runner, ppl)
    consent = db_session.scalars(select(Consent)).one()
    text_in(ppl.participant.phone, f"YES {code_from(consent_text(db_session, consent.id).body)}")
    assert replies(text_in(ppl.family_phone, "how is Alex doing?")) == [
        runtime.program.text("family.neutral", "en")]


def test_message_for_counselor_goes_to_the_counselor_only(
    runner, db_session, runtime, text_in, twilio
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    drain(runtime)
    twilio.clear()
    r = text_in(ppl.family_phone, "Message for counselor: he seemed down on Sunday, please call")
    assert replies(r) == [runtime.program.text("family.note.ack", "en")]
    r.close()  # runs call_on_close, as gunicorn does: the note is sent with no clock tick
    assert [m["to"] for m in twilio.messages] == [ppl.counselor_phone]  # sent at once
    body = twilio.messages[0]["body"]
    assert "Maria Lopez (mother)" in body and "Alex R." in body and "seemed down" in body
    assert to_phone(db_session, ppl.participant.phone)[-1].kind == "family.consent"
    # Spanish wording works too; an empty note is just a question.
    text_in(ppl.family_phone, "Mensaje para consejero: gracias")
    assert len(to_phone(db_session, ppl.counselor_phone)) == 2
    assert replies(text_in(ppl.family_phone, "Message for counselor:")) == [
        runtime.program.text("family.neutral", "en")]
    # Once revoked, no note is forwarded and the answer is a stranger's.
    text_in(ppl.participant.phone, "stop family updates")
    r = text_in(ppl.family_phone, "Message for counselor: why did it stop?")
    assert replies(r) == [runtime.program.text("unknown_sender", "en")]
    assert len(to_phone(db_session, ppl.counselor_phone)) == 2


def test_help_and_stop_work_for_family_members(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    assert replies(text_in(ppl.family_phone, "HELP")) == [runtime.program.text("help", "en")]
    assert replies(text_in(ppl.family_phone, "stop")) == [
        runtime.program.text("optout.confirm", "en")]


# the property: no path sends non-consented data ---------------------------------------------

PARTICIPANT_TEXTS = ["I used last night", "craving is 9", "9", "I want to kill myself",
                     "took a bunch of pills", "yes", "no", "I relapsed", "feeling ok",
                     "stop family", "REVOKE Bob"]
FAMILY_TEXTS = [*PROBES, "Message for counselor: what did he say today?", "YES", "HELP", "STOP",
                "what was his craving score?", "did he use?"]


@pytest.fixture
def world(runner, db_session, runtime, text_in, clock):
    """Everything the property needs, bundled so hypothesis can reuse one database."""
    return runner, db_session, runtime, text_in, clock


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    scopes=st.sets(st.sampled_from(SCOPES), min_size=1),
    language=st.sampled_from(["en", "es"]),
    checkins=st.lists(st.tuples(st.booleans(), st.integers(0, 10), st.booleans()), max_size=7),
    marks=st.lists(st.sampled_from([True, False, None]), max_size=4),
    earlier_weeks=st.integers(0, 5),
    participant_texts=st.lists(st.sampled_from(PARTICIPANT_TEXTS), max_size=3),
    family_texts=st.lists(st.sampled_from(FAMILY_TEXTS), max_size=3),
    crisis_alert=st.booleans(),
    revoke=st.booleans(),
)
def test_no_path_sends_non_consented_data(world, scopes, language, checkins, marks,
                                          earlier_weeks, participant_texts, family_texts,
                                          crisis_alert, revoke):
    from bot.models.schedule import Attendance, TherapySession

    runner, db_session, runtime, text_in, clock = world
    clock.set(START)
    ppl = people(db_session)
    share = ",".join(sorted(scopes))
    full_opt_in(runner, db_session, text_in, ppl, share=share, extra=("--language", language))
    p = ppl.participant
    week = SUNDAY_5PM_NY - timedelta(days=7)
    for day, (answered, craving, used) in enumerate(checkins):
        add_checkin(db_session, p.id, week + timedelta(days=day, hours=2), answered=answered,
                    craving=craving if answered else None, used=used if answered else None)
    for w in range(1, earlier_weeks + 1):
        add_checkin(db_session, p.id, week - timedelta(weeks=w), answered=True, craving=10,
                    used=True)
    group = make_group(db_session)
    for i, present in enumerate(marks):
        s = TherapySession(group_id=group.id, starts_at=week + timedelta(days=i, hours=1),
                           ends_at=week + timedelta(days=i, hours=4), status="scheduled")
        db_session.add(s)
        db_session.flush()
        if present is not None:
            db_session.add(Attendance(session_id=s.id, participant_id=p.id, present=present,
                                      marked_at=week, marked_by="staff"))
    db_session.flush()
    for text in participant_texts:
        text_in(p.phone, text)
    if crisis_alert:
        with runtime.Session() as session, session.begin():
            raise_alert(session, runtime, participant=session.get(type(p), p.id),
                        level="crisis", kind="triage", reasons=["self-harm"],
                        summary="crisis words", now=clock(), dedupe_key=f"test:crisis:{p.id}")
    for text in family_texts:
        text_in(ppl.family_phone, text)
    if revoke:
        text_in(p.phone, "stop family updates")
    run_pass(runtime, SUNDAY_5PM_NY)

    rows = to_phone(db_session, ppl.family_phone, inline=True)
    patterns = allowed_messages(runtime.program, sorted(scopes, key=SCOPES.index), language,
                                "Alex")
    # The week's true counts, read back (a participant's text may itself answer a check-in).
    from bot.models.schedule import CheckIn

    week_rows = db_session.scalars(select(CheckIn).where(
        CheckIn.participant_id == p.id, CheckIn.asked_at >= week,
        CheckIn.asked_at < SUNDAY_5PM_NY)).all()
    facts = {len(week_rows), sum(1 for c in week_rows if c.answered_at is not None),
             sum(1 for m in marks if m is True), sum(1 for m in marks if m is not None)}
    notice = runtime.program.text("family.notice", language)
    assert violations(rows, patterns, numbers_allowed=facts, notice=notice) == []
    kinds = {r.kind for r in rows}
    revoke = revoke or "stop family" in participant_texts
    opted_out = False
    for text in family_texts:  # STOP opts the number out; a later YES opts it back in
        opted_out = text == "STOP" or (opted_out and text != "YES")
    assert kinds <= {"family.invite", "family.weekly", "family.milestone", "family.stopped",
                     "reply"}
    weekly_scopes = scopes & {"attendance", "summary", "encouragement"}
    assert ("family.weekly" in kinds) == (bool(weekly_scopes) and not revoke and not opted_out)
    if "milestones" not in scopes or revoke:
        assert "family.milestone" not in kinds
    for row in rows:
        if row.kind != "reply":  # what we chose to send: never a word from the participant
            assert not re.search(r"kill|pills|used|relapse|craving|988|911|urge", row.body, re.I)
