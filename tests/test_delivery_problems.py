"""Delivery problems: opt-outs (when, how), flagged numbers, account-level errors told once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.models import AccountProblem, AuditEvent, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from bot.sending import drain
from bot.services.delivery import note_account_error
from tests.conftest import START
from tests.factories import make_counselor, make_participant


def queue(runtime, to: str, tag: str) -> None:
    with runtime.Session() as s, s.begin():
        enqueue(s, to=to, body="Reminder: group Tue 6pm", kind="test", dedupe_key=f"t:{tag}",
                now=runtime.now())


def problems(runner) -> list[list[str]]:
    result = runner.invoke(args=["delivery", "problems"])
    assert result.exit_code == 0, result.output
    return [line.split("\t") for line in result.output.strip().splitlines()]


def test_nothing_to_report(runner, db_session):
    assert runner.invoke(args=["delivery", "problems"]).output.strip() == "no delivery problems"


def test_opt_outs_say_when_and_how(runner, runtime, db_session, twilio, text_in, clock,
                                   post_twilio):
    by_text = make_participant(db_session, name="Alex Rivera")
    by_error = make_participant(db_session, name="Bo Diaz")
    by_aoo = make_participant(db_session, name="Cy Park")
    text_in(by_text.phone, "STOP")
    queue(runtime, by_error.phone, "e")
    twilio.fail_next(400, 21610, to=by_error.phone)
    drain(runtime)
    clock.advance(minutes=5)
    post_twilio("/twilio/messages", From=by_aoo.phone, To="+15005550006", Body="STOP",
                MessageSid="SM" + "a" * 32, AccountSid="AC" + "0" * 32, OptOutType="STOP")
    rows = problems(runner)
    assert [r[0] for r in rows] == ["opted-out"] * 3
    by_phone = {r[1]: r for r in rows}
    assert by_phone[by_text.phone][2:] == [f"participant {by_text.id} Alex Rivera",
                                           "2026-11-26T15:00Z", "text"]
    assert by_phone[by_error.phone][4] == "Twilio error 21610"
    assert by_phone[by_aoo.phone][3:] == ["2026-11-26T15:05Z", "Advanced Opt-Out"]


def test_flagged_numbers_are_listed(runner, runtime, db_session, twilio):
    landline = make_participant(db_session, name="Dee Fox")
    queue(runtime, landline.phone, "l")
    queue(runtime, "+14155550777", "u")
    twilio.fail_next(400, 30006, to=landline.phone)
    twilio.fail_next(400, 21211, to="+14155550777")
    drain(runtime)
    rows = problems(runner)
    assert sorted((r[0], r[1], r[2], r[3], r[4]) for r in rows) == sorted([
        ("flagged", landline.phone, f"participant {landline.id} Dee Fox", "landline", "30006"),
        ("flagged", "+14155550777", "-", "invalid", "21211")])  # listed by number
    listed = runner.invoke(args=["participant", "list"]).output
    assert "active,flagged:landline" in listed


def test_account_error_told_to_supervisors_once(runner, runtime, db_session, twilio, clock):
    boss = make_counselor(db_session, name="Pat Kim", supervisor=True)
    make_counselor(db_session, name="Jordan Lee")
    for i in range(3):
        queue(runtime, f"+1415555070{i}", f"a{i}")
    twilio.fail_next(400, 30034, times=10, message="unregistered 10DLC")
    drain(runtime)
    clock.advance(minutes=1)
    queue(runtime, "+14155550709", "later")
    twilio.fail_next(400, 30034, times=10)
    drain(runtime)
    problem = db_session.scalars(select(AccountProblem)).one()
    assert (problem.code, problem.reason, problem.occurrences) == (30034, "unregistered_10dlc", 5)
    notices = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "staff.notice")).all()
    assert [n.to_phone for n in notices] == [boss.phone]  # one notice, supervisors only
    assert "30034" in notices[0].body and "iopbot delivery problems" in notices[0].body
    rows = problems(runner)
    account = [r for r in rows if r[0] == "account"]
    assert account[0][1:3] == ["30034", "unregistered_10dlc"]
    assert account[0][-1] == "ALL TEXTING BLOCKED"
    assert not [r for r in rows if r[0] == "flagged"]  # not about any one number

    cleared = runner.invoke(args=["delivery", "clear", "30034"])
    assert cleared.exit_code == 0, cleared.output
    assert not [r for r in problems(runner) if r[0] == "account"]
    # It comes back: staff are told again, once.
    with runtime.Session() as s, s.begin():
        assert note_account_error(s, runtime.program, 30034, START + timedelta(hours=1))
        assert not note_account_error(s, runtime.program, 30034, START + timedelta(hours=2))
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "staff.notice")) == 2
    again = runner.invoke(args=["delivery", "clear", "99"])
    assert again.exit_code == 1 and again.output.strip() == (
        "Error: no open account-level error 99")


def test_bad_credentials_recorded_from_a_status_callback_too(runtime, db_session):
    with runtime.Session() as s, s.begin():
        assert note_account_error(s, runtime.program, 20003, START)
        assert not note_account_error(s, runtime.program, 30006, START)  # not account-level
    assert db_session.scalars(select(AccountProblem.reason)).all() == ["bad_credentials"]
    assert db_session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "delivery.account_error"))


def test_opted_out_counselor_and_unknown_number(runner, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    db_session.add_all([PhoneNumber(phone=jordan.phone, opted_out=True, opted_out_at=START),
                        PhoneNumber(phone="+14155550888", opted_out=True)])
    db_session.commit()
    rows = {r[1]: r for r in problems(runner)}
    assert rows[jordan.phone][2:] == ["counselor Jordan Lee", "2026-11-26T15:00Z", "unknown"]
    assert rows["+14155550888"][2:] == ["-", "-", "unknown"]


def test_bad_credentials_from_the_sender(runtime, db_session, twilio):
    make_counselor(db_session, name="Pat Kim", supervisor=True)
    queue(runtime, "+14155550701", "cred")
    twilio.fail_next(401, 20003, times=5, message="Authenticate")
    drain(runtime)
    problem = db_session.scalars(select(AccountProblem)).one()
    assert (problem.code, problem.reason) == (20003, "bad_credentials")
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "staff.notice")) == 1
