"""On-call computed from the weekly rota and overrides: the service, the CLI, and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, OnCallOverride, OnCallShift
from bot.sending import drain
from bot.services.oncall import add_override, add_shifts, on_call_now
from tests.conftest import START
from tests.factories import make_care_team, make_counselor

# START is Thursday 26 Nov 2026 10:00 in New York (the clinic's zone).


@pytest.fixture
def people(db_session):
    return make_care_team(db_session)


def names(counselors) -> list[str]:
    return [c.name for c in counselors]


def test_flag_is_the_fallback_when_there_is_no_rota(db_session, runtime, people):
    assert names(on_call_now(db_session, runtime.program, START)) == ["Sam Ortiz"]


def test_rota_replaces_the_flags_and_follows_clinic_time(db_session, runtime, people):
    riley = make_counselor(db_session, name="Riley Chen")
    add_shifts(db_session, riley, "thu", "09:00-17:00", now=START)
    db_session.commit()
    program = runtime.program
    assert names(on_call_now(db_session, program, START)) == ["Riley Chen"]  # 10:00 NY
    # 08:30 in New York is 13:30 UTC: before the shift, and Sam's flag no longer counts.
    assert on_call_now(db_session, program, datetime(2026, 11, 26, 13, 30, tzinfo=UTC)) == []
    assert on_call_now(db_session, program, START + timedelta(days=1)) == []


def test_override_replaces_the_rota_while_it_lasts(db_session, runtime, people):
    riley = make_counselor(db_session, name="Riley Chen")
    add_shifts(db_session, riley, "all", "00:00-00:00", now=START)
    add_override(db_session, people["assigned"], START, START + timedelta(hours=2), now=START)
    db_session.commit()
    program = runtime.program
    assert names(on_call_now(db_session, program, START)) == ["Jordan Lee"]
    assert names(on_call_now(db_session, program, START + timedelta(hours=2))) == ["Riley Chen"]


def test_inactive_counselors_are_never_on_call(db_session, runtime, people):
    people["on_call"].active = False
    db_session.commit()
    assert on_call_now(db_session, runtime.program, START) == []


def test_crisis_pages_whoever_the_rota_says(text_in, db_session, twilio, people, runner):
    riley = make_counselor(db_session, name="Riley Chen")
    result = runner.invoke(args=["oncall", "set", riley.phone, "--days", "mon-fri",
                                 "--hours", "08:00-18:00"])
    assert result.exit_code == 0, result.output
    text_in(people["alex"].phone, "I want to kill myself").close()
    assert sorted(m["to"] for m in twilio.messages) == sorted(
        [people["assigned"].phone, riley.phone])  # not Sam: his flag gave way to the rota


def test_on_call_counselor_may_ack_and_list_by_text(text_in, db_session, twilio, people, runner):
    riley = make_counselor(db_session, name="Riley Chen")
    text_in(people["alex"].phone, "I want to kill myself").close()
    alert_line = text_in(riley.phone, "ALERTS").get_data(as_text=True)
    assert "CRISIS" not in alert_line  # not on call yet: not his alert
    runner.invoke(args=["oncall", "set", riley.phone, "--from", "2026-11-26T09:00",
                        "--to", "2026-11-26T12:00"])
    assert "CRISIS" in text_in(riley.phone, "ALERTS").get_data(as_text=True)


def test_oncall_cli_set_show_remove(runner, db_session, people):
    sam, jordan = people["on_call"], people["assigned"]
    shown = runner.invoke(args=["oncall", "show"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0] == f"on call now: Sam Ortiz {sam.phone}"
    assert "no weekly rota" in shown.output

    result = runner.invoke(args=["oncall", "set", jordan.phone, "--days", "mon-fri",
                                 "--hours", "17:00-09:00"])
    assert result.exit_code == 0, result.output
    assert "on 5 weekday(s)" in result.output
    assert db_session.scalar(select(OnCallShift.ends).limit(1)) == "09:00"
    result = runner.invoke(args=["oncall", "set", sam.phone, "--from", "2026-11-26T09:00",
                                 "--to", "2026-11-26T11:00", "--note", "covering"])
    assert result.exit_code == 0, result.output
    over = db_session.scalars(select(OnCallOverride)).one()
    assert over.starts_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # clinic time -> UTC

    lines = runner.invoke(args=["oncall", "show"]).output.splitlines()
    assert lines[0] == f"on call now: Sam Ortiz {sam.phone}"  # the override, at 10:00
    assert sum(line.startswith("shift ") for line in lines) == 5
    assert any(line.startswith(f"override {over.id}\t") for line in lines)
    later = runner.invoke(args=["oncall", "show", "--at", "2026-11-26T20:00"]).output
    assert later.splitlines()[0] == f"on call now: Jordan Lee {jordan.phone}"

    assert runner.invoke(args=["oncall", "remove", "--override", str(over.id)]).exit_code == 0
    lines = runner.invoke(args=["oncall", "show"]).output.splitlines()
    assert lines[0] == "on call now: nobody (pages go to supervisors)"
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"oncall.shift_added", "oncall.override_added", "oncall.override_removed"} <= actions


@pytest.mark.parametrize(("args", "message"), [
    (["--days", "mon"], "needs both --days and --hours"),
    (["--days", "funday", "--hours", "09:00-10:00"], "not a weekday"),
    (["--days", "mon", "--hours", "9-5"], "not a time of day"),
    (["--from", "2026-11-26T12:00", "--to", "2026-11-26T11:00"], "--to must be after --from"),
    (["--from", "2026-11-20T12:00", "--to", "2026-11-21T11:00"], "already over"),
    ([], "give --days and --hours"),
    (["--from", "yesterday", "--to", "2026-11-26T11:00"], "not an ISO-8601"),
])
def test_oncall_set_errors_are_one_line(runner, db_session, people, args, message):
    result = runner.invoke(args=["oncall", "set", people["on_call"].phone, *args])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert db_session.scalars(select(OnCallShift)).all() == []


def test_oncall_set_refuses_unknown_and_inactive(runner, db_session, people):
    result = runner.invoke(args=["oncall", "set", "4155559999", "--days", "mon",
                                 "--hours", "09:00-10:00"])
    assert result.output.strip() == "Error: no counselor with phone +14155559999"
    people["on_call"].active = False
    db_session.commit()
    result = runner.invoke(args=["oncall", "set", people["on_call"].phone, "--days", "mon",
                                 "--hours", "09:00-10:00"])
    assert result.exit_code == 1 and "deactivated" in result.output
    gone = runner.invoke(args=["oncall", "remove", "--shift", "99"])
    assert gone.exit_code == 1 and "no on-call shift 99" in gone.output


def test_counselor_opt_out_warns_whoever_the_rota_says(text_in, db_session, runtime, twilio,
                                                       people):
    riley = make_counselor(db_session, name="Riley Chen")
    add_shifts(db_session, riley, "thu", "08:00-12:00", now=START)
    db_session.commit()
    text_in(people["assigned"].phone, "STOP")
    drain(runtime)
    told = {m["to"] for m in twilio.messages}
    assert told == {riley.phone, people["boss"].phone}  # Sam's flag gave way to the rota


def test_counselor_add_on_call_says_when_the_rota_overrides_it(runner, db_session, people):
    plain = runner.invoke(args=["counselor", "add", "--name", "Al Bo", "--phone", "4155550901",
                                "--on-call"])
    assert plain.exit_code == 0 and "note:" not in plain.output
    add_shifts(db_session, people["assigned"], "all", "00:00-00:00", now=START)
    db_session.commit()
    later = runner.invoke(args=["counselor", "add", "--name", "Cy Do", "--phone", "4155550902",
                                "--on-call"])
    assert later.exit_code == 0
    assert "--on-call has no effect" in later.output
