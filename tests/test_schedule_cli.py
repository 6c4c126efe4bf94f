from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.models import Group, OutboxMessage, Participant
from bot.models.schedule import Fire, TherapySession
from schedules.sweep import run_pass
from tests.factories import make_group, make_participant


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_group_add_and_list(runner, db_session):
    result = runner.invoke(args=["group", "add", "--name", "Evening A", "--timezone",
                                 "America/Chicago", "--weekly", "Mon, Wed,thu 18:00-21:00",
                                 "--location", "Room 2"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["group", "list"]).output
    assert "Evening A\tAmerica/Chicago\tmon,wed,thu 18:00-21:00\tRoom 2" in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weekly", "mon,wed,thu 18:00"], "weekly pattern must look like"),
        (["--weekly", "mon,funday 18:00-21:00"], "unknown day 'funday'"),
        (["--weekly", "mon 21:00-18:00"], "ends before it starts"),
        (["--weekly", "mon 25:00-26:00"], "invalid time"),
        (["--timezone", "Mars/Olympus"], "unknown timezone"),
    ],
)
def test_group_add_bad_input_is_one_line_and_stores_nothing(runner, db_session, args, message):
    base = {"--name": "G", "--timezone": "America/New_York", "--weekly": "mon 18:00-21:00"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for pair in base.items() for x in pair]
    result = runner.invoke(args=["group", "add", *flat])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert count(db_session, Group) == 0


def test_session_add_prints_id_and_lists(runner, db_session, clock):
    make_group(db_session, name="Evening", weekly="mon,wed,thu 18:00-21:00")
    result = runner.invoke(args=["session", "add", "--group", "Evening", "--start",
                                 "2026-12-05T10:00", "--end", "2026-12-05T11:30",
                                 "--location", "Annex"])
    assert result.exit_code == 0, result.output
    session_id = int(result.output.strip().splitlines()[-1])
    row = db_session.get(TherapySession, session_id)
    assert row.starts_at == datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # local 10:00 EST
    listing = runner.invoke(args=["session", "list", "--from", "2026-12-05", "--to",
                                  "2026-12-05"]).output
    assert listing.startswith(f"{session_id}\t2026-12-05T15:00:00+00:00") and "Annex" in listing
    assert runner.invoke(args=["session", "list", "--from", "2026-12-06"]).output == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "Evening", "--start", "2026-12-05T12:00", "--end", "2026-12-05T11:00"],
         "must end after it starts"),
        (["--group", "Nope", "--start", "2026-12-05T10:00", "--end", "2026-12-05T11:00"],
         "no group named 'Nope'"),
        (["--participant", "+14155550999", "--start", "2026-12-05T10:00", "--end",
          "2026-12-05T11:00"], "no participant with phone"),
        (["--group", "Evening", "--start", "2026-12-03T20:00", "--end", "2026-12-03T22:00"],
         "overlaps the weekly meeting on 2026-12-03"),
        (["--group", "Evening", "--start", "2026-12-05T10:30", "--end", "2026-12-05T11:00"],
         "overlaps session 1"),
        (["--group", "Evening", "--start", "tomorrow", "--end", "2026-12-05T11:00"],
         "not an ISO-8601 date-time"),
        (["--start", "2026-12-05T10:00", "--end", "2026-12-05T11:00"],
         "exactly one of --group or --participant"),
    ],
)
def test_session_add_bad_input(runner, db_session, args, message):
    make_group(db_session, name="Evening", weekly="mon,wed,thu 18:00-21:00")
    first = runner.invoke(args=["session", "add", "--group", "Evening", "--start",
                                "2026-12-05T10:00", "--end", "2026-12-05T11:30"])
    assert first.exit_code == 0
    result = runner.invoke(args=["session", "add", *args])
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert count(db_session, TherapySession) == 1


def test_session_cancel_unknown_and_twice(runner, db_session):
    assert "no session with id 9" in runner.invoke(args=["session", "cancel", "9"]).output
    person = make_participant(db_session)
    result = runner.invoke(args=["session", "add", "--participant", person.phone, "--start",
                                 "2026-12-05T10:00", "--end", "2026-12-05T11:00"])
    assert result.exit_code == 0
    assert runner.invoke(args=["session", "cancel", "1"]).exit_code == 0
    again = runner.invoke(args=["session", "cancel", "1"])
    assert again.exit_code != 0 and "already cancelled" in again.output


def test_participant_update_group_and_checkin_time(runner, db_session, runtime, clock):
    make_group(db_session, name="Evening", weekly="mon 18:00-21:00")
    person = make_participant(db_session, checkin_time="17:00")
    run_pass(runtime, clock.set(datetime(2026, 11, 26, 21, 55, tzinfo=UTC)), paced=False)
    assert db_session.scalar(select(Fire.state).where(Fire.kind == "checkin")) == "pending"
    result = runner.invoke(args=["participant", "update", person.phone, "--group", "Evening",
                                 "--checkin-time", "18:30"])
    assert result.exit_code == 0, result.output
    assert "checkin_time=18:30" in result.output and "group=Evening" in result.output
    assert count(db_session, Fire) == 0  # the 17:00 fire was not sent: re-planned at 18:30
    run_pass(runtime, clock.set(datetime(2026, 11, 26, 23, 30, tzinfo=UTC)), paced=False)
    fire = db_session.scalars(select(Fire).where(Fire.kind == "checkin")).one()
    assert fire.due_at == datetime(2026, 11, 26, 23, 30, tzinfo=UTC) and fire.state == "done"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--checkin-time", "7pm"], "--checkin-time must be HH:MM"),
        (["--checkin-time", "22:00"], "outside the clinic's texting hours 09:00-20:00"),
        (["--group", "Nope"], "no group named 'Nope'"),
        (["--timezone", "Nowhere/City"], "unknown timezone"),
    ],
)
def test_participant_update_bad_input(runner, db_session, args, message):
    person = make_participant(db_session, checkin_time="17:00")
    result = runner.invoke(args=["participant", "update", person.phone, *args])
    assert result.exit_code != 0 and message in result.output, result.output
    row = db_session.scalars(select(Participant)).one()
    assert (row.checkin_time, row.group_id, row.timezone) == ("17:00", None, "America/New_York")


def test_staff_pause_until_and_resume(runner, db_session, runtime, clock, twilio):
    person = make_participant(db_session, checkin_time="10:00")
    result = runner.invoke(args=["participant", "pause", person.phone, "--until", "2026-11-28"])
    assert result.exit_code == 0 and "until 2026-11-28" in result.output
    for day in (26, 27, 28):
        run_pass(runtime, clock.set(datetime(2026, 11, day, 15, 0, tzinfo=UTC)), paced=False)
    asked = [m for m in twilio.messages if m["body"].startswith("Daily check-in")]
    assert len(asked) == 1  # on the 28th only
    assert runner.invoke(args=["participant", "pause", person.phone]).exit_code == 0
    assert "resumed" in runner.invoke(args=["participant", "resume", person.phone]).output
    assert "was not paused" in runner.invoke(args=["participant", "resume", person.phone]).output


def test_discharge_stops_reminders_and_checkins(runner, db_session, runtime, clock, twilio):
    group = make_group(db_session, name="Evening", weekly="thu 18:00-21:00")
    person = make_participant(db_session, group_id=group.id, checkin_time="17:00")
    run_pass(runtime, clock.set(datetime(2026, 11, 26, 20, 55, tzinfo=UTC)), paced=False)
    assert runner.invoke(args=["participant", "discharge", person.phone]).exit_code == 0
    for hour in (21, 22, 23):
        run_pass(runtime, clock.set(datetime(2026, 11, 26, hour, 0, tzinfo=UTC)), paced=False)
    assert [m for m in twilio.messages if m["to"] == person.phone] == []
    assert count(db_session, OutboxMessage) == 0 or db_session.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.to_phone == person.phone, OutboxMessage.state == "sent")) == 0
    states = set(db_session.scalars(select(Fire.state)))
    assert states <= {"withdrawn", "dropped"} and states


def test_attendance_mark_errors(runner, db_session):
    person = make_participant(db_session)
    result = runner.invoke(args=["attendance", "mark", "--session", "1", "--participant",
                                 person.phone, "--present"])
    assert result.exit_code != 0 and "no session with id 1" in result.output
    result = runner.invoke(args=["attendance", "mark", "--session", "1", "--participant",
                                 person.phone])
    assert result.exit_code != 0 and "--present or --absent" in result.output
