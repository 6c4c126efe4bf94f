"""`iopbot counselor ...` and `iopbot participant ...` through the CLI runner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import AuditEvent, Counselor, OutboxMessage, Participant
from bot.sending import drain
from tests.factories import make_group

FORBIDDEN = ("addiction", "iop", "recovery", "relapse", "craving", "treatment", "substance",
             "rehab", "sober", "drug", "alcohol")


def add_counselor(runner, phone: str = "415-555-0199", *extra: str):
    """Run `iopbot counselor add`."""
    return runner.invoke(args=["counselor", "add", "--name", "Sam Ortiz", "--phone", phone,
                               *extra])


def add_participant(runner, *extra: str, phone: str = "(415) 555-0123",
                    counselor: str = "+14155550199", timezone: str = "America/Chicago"):
    """Run `iopbot participant add`."""
    return runner.invoke(args=["participant", "add", "--name", "Alex R", "--phone", phone,
                               "--counselor", counselor, "--timezone", timezone, *extra])


def stored(db_session) -> tuple[int, int, int]:
    """Counselors, participants and outbox rows."""
    return tuple(db_session.scalar(select(func.count()).select_from(m))
                 for m in (Counselor, Participant, OutboxMessage))


def test_counselor_add_normalises_the_phone(runner, db_session):
    result = add_counselor(runner, "415-555-0199", "--on-call")
    assert result.exit_code == 0, result.output
    assert "on-call" in result.output
    c = db_session.scalars(select(Counselor)).one()
    assert (c.name, c.phone, c.on_call, c.active) == ("Sam Ortiz", "+14155550199", True, True)


def test_counselor_list(runner):
    add_counselor(runner, "4155550199", "--on-call")
    add_counselor(runner, "4155550198")
    lines = runner.invoke(args=["counselor", "list"]).output.splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[2:] == ["+14155550199", "on-call"]


def test_participant_add_with_defaults(runner, db_session, clock):
    add_counselor(runner)
    result = add_participant(runner)
    assert result.exit_code == 0, result.output
    p = db_session.scalars(select(Participant)).one()
    assert (p.phone, p.timezone, p.language, p.status, p.checkin_time, p.channel) == (
        "+14155550123", "America/Chicago", "en", "active", "17:00", "sms")
    assert p.consent_at == clock()
    assert p.consent_source
    assert p.counselor.phone == "+14155550199"
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.enrolled"))


def test_participant_add_with_every_option(runner, db_session):
    add_counselor(runner)
    make_group(db_session, name="Tuesday evening")
    result = add_participant(runner, "--language", "es", "--checkin-time", "09:30",
                             "--group", "Tuesday evening", "--whatsapp", phone="+1 415 555 0124")
    assert result.exit_code == 0, result.output
    p = db_session.scalars(select(Participant)).one()
    assert (p.language, p.checkin_time, p.channel) == ("es", "09:30", "whatsapp")
    assert p.group_id is not None
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.channel == "whatsapp"
    assert "Pueden aplicarse tarifas" in row.body


def test_enrolment_queues_a_lock_screen_safe_opt_in_confirmation(runner, db_session, runtime,
                                                                 twilio):
    add_counselor(runner)
    add_participant(runner)
    row = db_session.scalars(select(OutboxMessage)).one()
    assert (row.kind, row.state, row.to_phone) == ("optin", "pending", "+14155550123")
    body = row.body
    assert "Msg & data rates may apply" in body
    assert "HELP" in body and "STOP" in body
    assert "Riverside Health" in body  # the program's name
    assert "a day" in body  # how often
    for word in FORBIDDEN:
        assert word not in body.lower(), word
    assert drain(runtime).sent == 1
    assert twilio.messages[0]["body"] == body


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((), {"phone": "hello"}, "--phone"),
        ((), {"phone": "123"}, "--phone"),
        ((), {"timezone": "Mars/Base"}, "unknown timezone"),
        ((), {"timezone": "america/chicago "}, "unknown timezone"),
        ((), {"counselor": "+14155550100"}, "no counselor"),
        ((), {"counselor": "nope"}, "--counselor"),
        (("--checkin-time", "25:00"), {}, "--checkin-time"),
        (("--checkin-time", "23:30"), {}, "texting hours"),
        (("--group", "Nope"), {}, "no group"),
        (("--language", "fr"), {}, "--language"),
    ],
)
def test_participant_add_errors_are_one_line_and_store_nothing(
    runner, db_session, args, kwargs, message
):
    add_counselor(runner)
    before = stored(db_session)
    result = add_participant(runner, *args, **kwargs)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 or message == "--language", result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert stored(db_session) == before


def test_duplicate_enrolment_is_refused(runner, db_session):
    add_counselor(runner)
    assert add_participant(runner).exit_code == 0
    before = stored(db_session)
    result = add_participant(runner, phone="+1 (415) 555-0123")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: +14155550123 is already enrolled as a participant"
    assert stored(db_session) == before
    # A counselor's number cannot be enrolled as a participant either, nor the reverse.
    assert add_participant(runner, phone="4155550199").exit_code == 1
    assert add_counselor(runner, "4155550123").exit_code == 1
    assert stored(db_session) == before


def test_counselor_add_errors(runner, db_session):
    assert add_counselor(runner, "not a phone").exit_code == 1
    assert runner.invoke(args=["counselor", "add", "--name", " ", "--phone",
                               "4155550199"]).exit_code == 1
    assert stored(db_session) == (0, 0, 0)


def test_participant_list(runner, db_session):
    add_counselor(runner)
    make_group(db_session, name="Evening")
    add_participant(runner, "--group", "Evening")
    add_participant(runner, "--language", "es", phone="4155550124")
    lines = runner.invoke(args=["participant", "list"]).output.splitlines()
    assert len(lines) == 2
    first = lines[0].split("\t")
    assert first[1:] == ["Alex R", "+14155550123", "active", "en", "17:00", "Evening",
                         "Sam Ortiz"]
    assert lines[1].split("\t")[4] == "es"


def test_participant_discharge_cancels_pending_texts(runner, db_session, runtime, twilio):
    add_counselor(runner)
    add_participant(runner)
    result = runner.invoke(args=["participant", "discharge", "(415) 555-0123"])
    assert result.exit_code == 0, result.output
    p = db_session.scalars(select(Participant)).one()
    assert p.status == "discharged" and p.discharged_at is not None
    assert db_session.scalars(select(OutboxMessage)).one().state == "cancelled"
    assert drain(runtime).sent == 0
    assert twilio.messages == []
    again = runner.invoke(args=["participant", "discharge", "4155550123"])
    assert again.exit_code == 1
    assert "already discharged" in again.output
    unknown = runner.invoke(args=["participant", "discharge", "4155550999"])
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "Error: no participant with phone +14155550999"
