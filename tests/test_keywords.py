"""STOP / START / HELP: the words, the phrases, and what they do to everything we send."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from bot.rules.keywords import keyword_of
from bot.sending import drain
from tests.factories import make_participant

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
PHRASES = ["please stop texting me", "no more texts", "no más mensajes", "Stop texting me!!",
           "Please STOP texting me.", "don't text me again", "No mas mensajes por favor",
           "take me off your list", "deja de enviarme mensajes"]
NOT_OPT_OUT = ["I can't stop thinking about it", "stop by the office tomorrow?",
               "the end of the day was hard", "yes", "cancelled my appointment", "no more pain",
               "I will stop at the store", "", "   "]


# the pure rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("word", OPT_OUT)
@pytest.mark.parametrize("dress", ["{}", "{} ", " {}.", "{}!!", "\t{}\n", "*{}*"])
def test_opt_out_words_any_case_punctuation_whitespace(word, dress):
    for variant in (word, word.lower(), word.title()):
        assert keyword_of(dress.format(variant)) == "opt_out"


@pytest.mark.parametrize("phrase", PHRASES)
def test_plain_opt_out_phrases(phrase):
    assert keyword_of(phrase) == "opt_out"


@pytest.mark.parametrize("text", NOT_OPT_OUT)
def test_ordinary_texts_are_not_opt_outs(text):
    assert keyword_of(text) != "opt_out"


@pytest.mark.parametrize("word", ["START", "yes", "Unstop!", " start "])
def test_opt_in_words(word):
    assert keyword_of(word) == "opt_in"


@pytest.mark.parametrize("word", ["HELP", "info", "Help?", "INFO."])
def test_help_words(word):
    assert keyword_of(word) == "help"


@given(st.sampled_from(OPT_OUT), st.text(alphabet=" \t\n.,!?¡¿*-", max_size=6),
       st.text(alphabet=" \t\n.,!?*-", max_size=6))
def test_opt_out_word_survives_any_surrounding_punctuation(word, before, after):
    assert keyword_of(before + word.swapcase() + after) == "opt_out"


@given(st.text(max_size=300))
def test_keyword_of_never_raises(text):
    assert keyword_of(text) in (None, "opt_out", "opt_in", "help")


# through the webhook ------------------------------------------------------------------------


def replies(response) -> int:
    """How many <Message> elements a TwiML answer carries."""
    return response.get_data(as_text=True).count("<Message>")


def outbound(db_session, phone: str) -> int:
    """Outbound log rows (texts actually sent or answered inline) to `phone`."""
    return db_session.scalar(select(func.count()).select_from(MessageLog).where(
        MessageLog.direction == "out", MessageLog.phone == phone))


@pytest.mark.parametrize("body", OPT_OUT + PHRASES[:4])
def test_opt_out_gets_exactly_one_confirmation(text_in, db_session, body):
    p = make_participant(db_session)
    first = text_in(p.phone, body)
    assert replies(first) == 1
    assert "START" in first.get_data(as_text=True)
    assert db_session.get(PhoneNumber, p.phone, populate_existing=True).opted_out
    second = text_in(p.phone, body)
    assert replies(second) == 0
    assert outbound(db_session, p.phone) == 1


def test_after_stop_nothing_is_sent_until_start(text_in, db_session, runtime, twilio, clock):
    p = make_participant(db_session)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body="Reminder: group Tue 6pm", kind="reminder",
                dedupe_key="r1", now=clock(), participant_id=p.id)
    text_in(p.phone, "stop")
    queued = db_session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "r1"))
    assert queued.state == "cancelled"
    # Queued after the opt-out (a sweep that did not know yet): suppressed by the sender.
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body="Reminder: group Thu 6pm", kind="reminder",
                dedupe_key="r2", now=clock(), participant_id=p.id)
    for body in ("hello?", "3", "I used today", "HELP ME"):
        assert replies(text_in(p.phone, body)) == 0, body
    report = drain(runtime)
    assert report.suppressed == 1
    # Staff may still be alerted about what they said; nothing goes to the participant.
    assert [m for m in twilio.messages if m["to"] == p.phone] == []
    assert outbound(db_session, p.phone) == 1  # only the confirmation
    # START opts back in, with one confirmation, and replies flow again.
    back = text_in(p.phone, "Start")
    assert replies(back) == 1
    assert not db_session.get(PhoneNumber, p.phone, populate_existing=True).opted_out
    assert replies(text_in(p.phone, "hello again")) == 1


@pytest.mark.parametrize("word", ["START", "YES", "UNSTOP", "yes!"])
def test_each_opt_in_word_turns_texts_back_on(text_in, db_session, word):
    p = make_participant(db_session)
    text_in(p.phone, "STOP")
    response = text_in(p.phone, word)
    assert replies(response) == 1
    assert not db_session.get(PhoneNumber, p.phone, populate_existing=True).opted_out


@pytest.mark.parametrize("yes", ["yes", "Yes?", "YES."])
def test_plain_yes_from_someone_opted_in_is_not_an_opt_in_reply(text_in, db_session, yes):
    p = make_participant(db_session)
    text_in(p.phone, yes)
    entry = db_session.scalar(select(MessageLog).where(MessageLog.direction == "in"))
    assert entry.intent != "opt_in"


@pytest.mark.parametrize("word", ["HELP", "info", " Help! "])
def test_help_answers_with_clinic_name_phone_and_how_to_stop(text_in, db_session, word):
    p = make_participant(db_session)
    text = text_in(p.phone, word).get_data(as_text=True)
    assert "Riverside Health" in text
    assert "555-555-0100" in text
    assert "STOP" in text


def test_help_still_answered_after_opt_out(text_in, db_session):
    p = make_participant(db_session)
    text_in(p.phone, "STOP")
    assert replies(text_in(p.phone, "HELP")) == 1


def test_spanish_speaker_gets_spanish_confirmation(text_in, db_session):
    p = make_participant(db_session, language="es")
    text = text_in(p.phone, "no más mensajes").get_data(as_text=True)
    assert "Ya no recibirás" in text


def test_unknown_number_can_opt_out_too(text_in, db_session, runtime, clock, twilio):
    stranger = "+14155559871"
    assert replies(text_in(stranger, "STOP")) == 1
    assert db_session.get(PhoneNumber, stranger, populate_existing=True).opted_out
    with runtime.Session() as s, s.begin():
        enqueue(s, to=stranger, body="hi", kind="test", dedupe_key="x", now=clock(),
                party="unknown")
    assert drain(runtime).suppressed == 1
    assert twilio.messages == []


def test_whatsapp_opt_out_applies_to_the_number(text_in, db_session, runtime, clock, twilio):
    p = make_participant(db_session, channel="whatsapp")
    response = text_in(f"whatsapp:{p.phone}", "STOP")
    assert replies(response) == 1
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, channel="sms", body="hi", kind="test", dedupe_key="y",
                now=clock(), participant_id=p.id)
    assert drain(runtime).suppressed == 1
    assert twilio.messages == []
