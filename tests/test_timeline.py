"""A participant's timeline: every source newest first, paged without gaps, with status badges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, ConsoleReply, OutboxMessage, PhoneNumber
from bot.models.schedule import Fire
from bot.queries.badges import badges
from bot.queries.checkin_series import day_points
from bot.queries.timeline import SOURCES, Cursor, timeline
from bot.services.staff_reply import ReplyError, send_staff_reply
from schedules.sweep import run_pass
from tests.factories import make_care_team, make_participant


@pytest.fixture
def team(db_session):
    return make_care_team(db_session)


def staff_text(runtime, clock, participant_id, body, key="k1", name="Jordan Lee"):
    from bot.models import Participant

    with runtime.Session() as session, session.begin():
        person = session.get(Participant, participant_id)
        return send_staff_reply(session, person, body, actor="staff:1", sender_name=name,
                                now=clock(), form_key=key)


@pytest.fixture
def story(team, text_in, runner, runtime, clock, db_session, twilio):
    """A day in Alex's life: a question, reported use, a check-in, a session, family, a reply."""
    alex = team["alex"]
    text_in(alex.phone, "is group still on tonight?")
    clock.advance(minutes=5)
    text_in(alex.phone, "I used last night")
    clock.advance(minutes=5)
    result = runner.invoke(args=["session", "add", "--participant", alex.phone,
                                 "--start", "2026-11-26T11:00", "--end", "2026-11-26T11:30"])
    session_id = result.output.strip().splitlines()[-1]
    clock.advance(hours=2)
    assert runner.invoke(args=["attendance", "mark", "--session", session_id, "--participant",
                               alex.phone, "--absent"]).exit_code == 0
    result = runner.invoke(args=["family", "invite", "--participant", alex.phone, "--name",
                                 "Maria Lopez", "--phone", "+14155550101", "--relationship",
                                 "mother", "--share", "attendance", "--expires", "2027-06-30"])
    assert result.exit_code == 0, result.output
    clock.set(datetime(2026, 11, 26, 22, 0, 30, tzinfo=UTC))  # 17:00 in New York
    run_pass(runtime, paced=False)
    for answer in ("3", "no", "4"):
        clock.advance(minutes=1)
        text_in(alex.phone, answer)
    clock.advance(minutes=1)
    staff_text(runtime, clock, alex.id, "Hi Alex, it's Jordan. Call me when you can?")
    run_pass(runtime, paced=False)
    clock.advance(minutes=1)
    assert runner.invoke(args=["participant", "pause", alex.phone]).exit_code == 0
    return alex


def test_every_source_shows_up_newest_first(story, db_session):
    page = timeline(db_session, story.id)
    assert page.next_cursor is None
    entries = page.entries
    assert [e.key for e in entries] == sorted((e.key for e in entries), reverse=True)
    sources = {e.source for e in entries}
    assert {"text_in", "text_out", "checkin", "alert", "attendance", "status",
            "consent"} <= sources
    assert entries[0].title == "Check-ins paused"
    by_text = {e.text: e for e in entries if e.text}
    assert by_text["is group still on tonight?"].status == "waiting in the inbox"
    assert by_text["I used last night"].status is None  # it raised an alert instead
    staff = by_text["Hi Alex, it's Jordan. Call me when you can?"]
    assert (staff.title, staff.by, staff.status) == ("Text from Jordan Lee", "Jordan Lee",
                                                       "sent to the carrier")
    checkin = next(e for e in entries if e.source == "checkin")
    assert checkin.status == "urges 3/10, no use, mood 4/5"
    levels = [e.level for e in entries if e.source == "alert"]
    assert levels == ["concern", "urgent"]  # the unannounced absence, then the reported use
    alert = next(e for e in entries if e.source == "alert" and e.level == "urgent")
    assert alert.status == "open" and alert.note == "reported use"
    assert alert.steps[0][1] == "raised" and any(s == "texted Jordan Lee" for _, s in alert.steps)
    absent = next(e for e in entries if e.source == "attendance")
    assert absent.title == "Appointment: absent" and absent.level == "problem"
    consent = next(e for e in entries if e.source == "consent")
    assert consent.title == "Family consent requested for Maria Lopez (mother)"


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_pages_join_up_without_gaps_or_repeats(story, db_session, size):
    everything = timeline(db_session, story.id, limit=500).entries
    seen, cursor = [], None
    while True:
        page = timeline(db_session, story.id, cursor=cursor, limit=size)
        assert len(page.entries) <= size
        seen += page.entries
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [e.key for e in seen] == [e.key for e in everything]


def test_ties_at_the_same_instant_are_paged_by_source_and_id(team, runtime, clock, db_session):
    alex = team["alex"]
    for n in range(3):
        staff_text(runtime, clock, alex.id, f"note {n}", key=f"k{n}")  # all at one instant
    first = timeline(db_session, alex.id, limit=2)
    second = timeline(db_session, alex.id, cursor=first.next_cursor, limit=2)
    assert [e.text for e in first.entries + second.entries] == ["note 2", "note 1", "note 0"]


@pytest.mark.parametrize("token", ["garbage", "2026-11-26T10:00:00~1", "x~1~2",
                                   "2026-11-26T10:00:00~1~2", "2026-11-26T10:00:00+00:00~99~1",
                                   "2026-11-26T10:00:00+00:00~7~abc"])
def test_a_bad_cursor_is_a_value_error(token):
    with pytest.raises(ValueError, match="not a timeline position"):
        Cursor.decode(token)


def test_a_cursor_round_trips_a_fire_key():
    at = datetime(2026, 11, 26, 10, tzinfo=UTC)
    token = Cursor(at, SOURCES.index("not_sent"), "reminder:5~0:12:1440").encode()
    assert Cursor.decode(token).ref == "reminder:5~0:12:1440"


def test_texts_not_sent_say_why(team, text_in, runtime, clock, db_session):
    alex = team["alex"]
    text_in(alex.phone, "STOP")
    # A check-in planned for today, settled while they are opted out, is dropped with a reason.
    clock.set(datetime(2026, 11, 26, 22, 0, 30, tzinfo=UTC))
    run_pass(runtime, paced=False)
    dropped = db_session.scalars(select(Fire).where(Fire.participant_id == alex.id)).all()
    assert [f.state for f in dropped] == ["dropped"]
    entries = timeline(db_session, alex.id).entries
    not_sent = [e for e in entries if e.source == "not_sent"]
    assert [(e.title, e.note) for e in not_sent] == [("Check-in not sent (Thu Nov 26)",
                                                      "recipient opted out")]
    # An outbox row the sender suppressed says so too.
    db_session.add(OutboxMessage(dedupe_key="x1", kind="reminder", to_phone=alex.phone,
                                 body="Reminder", participant_id=alex.id, state="suppressed",
                                 error="recipient opted out", created_at=clock()))
    db_session.add(OutboxMessage(dedupe_key="x2", kind="checkin", to_phone=alex.phone,
                                 body="How are urges", participant_id=alex.id, state="dropped",
                                 error="expired before it could be sent", created_at=clock()))
    db_session.flush()
    statuses = {e.text: (e.status, e.level) for e in timeline(db_session, alex.id).entries
                if e.source == "text_out"}
    assert statuses["Reminder"] == ("not sent: they opted out (STOP)", "problem")
    assert statuses["How are urges"] == ("not sent: expired before it could be sent", "problem")


def test_badges_name_every_status_a_counselor_must_see(db_session, team, clock):
    alex = team["alex"]
    assert badges(db_session, alex) == []
    db_session.add(PhoneNumber(phone=alex.phone, opted_out=True, opted_out_at=clock(),
                               flag="landline", flag_code=30006))
    alex.status, alex.paused_until = "paused", date(2026, 12, 3)
    db_session.flush()
    found = {b.label: b.detail for b in badges(db_session, alex)}
    assert found == {
        "Opted out": "replied STOP since 2026-11-26: no texts until they text START",
        "Number flagged": "number is a landline: texts can't reach it (Twilio 30006)",
        "Paused": "no daily check-ins until 2026-12-03",
    }
    alex.status, alex.discharged_at = "discharged", clock()
    assert "Discharged" in {b.label for b in badges(db_session, alex)}


def test_day_points_mark_answered_missed_open_and_unasked_days(db_session, team, clock):
    from bot.models.schedule import CheckIn

    alex = team["alex"]
    today = date(2026, 11, 26)
    rows = [(today - timedelta(days=3), dict(craving=7, mood=2, used=False)),
            (today - timedelta(days=2), dict(missed=True)),
            (today, {})]
    for day, values in rows:
        answered = clock() if "craving" in values else None
        db_session.add(CheckIn(participant_id=alex.id, local_date=day, asked_at=clock(),
                               prompted_at=clock(), closes_at=clock(), answered_at=answered,
                               **values))
    db_session.flush()
    points = day_points(db_session, alex.id, today, 5)
    assert [(p.day.day, p.state, p.craving, p.mood) for p in points] == [
        (22, "none", None, None), (23, "answered", 7, 2), (24, "missed", None, None),
        (25, "none", None, None), (26, "open", None, None)]


# --- replying from the console ----------------------------------------------------------

def test_a_staff_reply_goes_through_the_outbox_on_the_record(team, runtime, clock, db_session,
                                                              twilio):
    alex = team["alex"]
    sent = staff_text(runtime, clock, alex.id, "  Hi Alex, see you Thursday.  ")
    row = db_session.get(OutboxMessage, sent.outbox_id)
    assert (row.kind, row.to_phone, row.body, row.priority, row.state) == (
        "staff_reply", alex.phone, "Hi Alex, see you Thursday.", 3, "pending")
    record = db_session.get(ConsoleReply, row.id)
    assert (record.sent_by, record.sent_by_name, record.participant_id) == (
        "staff:1", "Jordan Lee", alex.id)
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "participant.texted")).one()
    assert (event.actor, event.subject_id) == ("staff:1", alex.id)
    assert "see you" not in str(event.detail)  # never the words
    run_pass(runtime, paced=False)
    assert [(m["to"], m["body"]) for m in twilio.messages] == [
        (alex.phone, "Hi Alex, see you Thursday.")]


def test_the_same_form_submitted_twice_sends_once(team, runtime, clock, db_session):
    first = staff_text(runtime, clock, team["alex"].id, "Hello", key="same")
    again = staff_text(runtime, clock, team["alex"].id, "Hello", key="same")
    assert first.new and not again.new and first.outbox_id == again.outbox_id
    assert len(db_session.scalars(select(ConsoleReply)).all()) == 1


@pytest.mark.parametrize(("setup", "body", "message"), [
    ("stop", "hi", "replied STOP"),
    ("discharged", "hi", "is discharged"),
    (None, "   ", "empty"),
    (None, "x" * 1001, "1001 characters"),
])
def test_refused_replies_say_why_and_queue_nothing(team, runtime, clock, db_session, setup,
                                                   body, message):
    alex = team["alex"]
    if setup == "stop":
        db_session.add(PhoneNumber(phone=alex.phone, opted_out=True))
    elif setup == "discharged":
        alex.status = "discharged"
    db_session.flush()
    with pytest.raises(ReplyError, match=message):
        staff_text(runtime, clock, alex.id, body)
    assert db_session.scalars(select(OutboxMessage)).all() == []


def test_another_participant_in_the_program_is_untouched(team, runtime, clock, db_session):
    other = make_participant(db_session, counselor=team["on_call"], name="Bea Stone")
    staff_text(runtime, clock, team["alex"].id, "Hello")
    assert timeline(db_session, other.id).entries == []
