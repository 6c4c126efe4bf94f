"""`iopbot alert list|ack|resolve`, including bad input: one-line errors, non-zero exit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import Alert
from bot.services.alerts import raise_alert
from tests.factories import make_counselor, make_participant


@pytest.fixture
def alerts(runtime, db_session, clock):
    """Two alerts about Alex (Jordan's participant): an urgent and a concern."""
    jordan = make_counselor(db_session, name="Jordan Lee", phone="+14155550190")
    make_counselor(db_session, name="Riley Chen", phone="+14155550191")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    ids = []
    with runtime.Session() as session, session.begin():
        for level, reason in (("urgent", "reported use"), ("concern", "distress")):
            raised = raise_alert(
                session, runtime, participant=session.get(type(alex), alex.id), level=level,
                kind="free_text", reasons=[reason], summary=reason, now=clock(),
                dedupe_key=f"test:{level}",
            )
            ids.append(raised.alert.id)
    return ids


def fetch(db_session, alert_id: int) -> Alert:
    return db_session.scalars(select(Alert).where(Alert.id == alert_id)).one()


def test_list_ack_resolve(runner, db_session, alerts):
    urgent, concern = alerts
    result = runner.invoke(args=["alert", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{concern}\tconcern\topen\tAlex R.")
    assert lines[1].startswith(f"{urgent}\turgent\topen\tAlex R.") and "reported use" in lines[1]

    result = runner.invoke(args=["alert", "ack", str(urgent), "--by", "(415) 555-0190"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"alert {urgent} acknowledged by Jordan Lee"
    assert fetch(db_session, urgent).state == "acknowledged"

    result = runner.invoke(args=["alert", "resolve", str(urgent), "--by", "+14155550190",
                                 "--note", "talked by phone"])
    assert result.exit_code == 0, result.output
    resolved = fetch(db_session, urgent)
    assert (resolved.state, resolved.note) == ("resolved", "talked by phone")

    result = runner.invoke(args=["alert", "list", "--open"])
    assert [line.split("\t")[0] for line in result.output.strip().splitlines()] == [str(concern)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alert", "ack", "999", "--by", "+14155550190"], "there is no alert 999"),
        (["alert", "ack", "{id}", "--by", "+14155550199"], "not an active counselor"),
        (["alert", "ack", "{id}", "--by", "not-a-phone"], "not a phone number"),
        (["alert", "ack", "{id}", "--by", "+14155550191"], "not assigned to Riley Chen"),
        (["alert", "resolve", "999", "--by", "+14155550190"], "there is no alert 999"),
    ],
)
def test_bad_input_is_one_line_and_exits_nonzero(runner, db_session, alerts, args, message):
    args = [a.format(id=alerts[0]) for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert fetch(db_session, alerts[0]).state == "open"


def test_non_numeric_id_is_a_usage_error(runner, alerts):
    result = runner.invoke(args=["alert", "ack", "forty-two", "--by", "+14155550190"])
    assert result.exit_code == 2
    assert "forty-two" in result.output


def test_ack_twice_is_an_error(runner, alerts):
    assert runner.invoke(args=["alert", "ack", str(alerts[0]), "--by", "+14155550190"]
                         ).exit_code == 0
    result = runner.invoke(args=["alert", "ack", str(alerts[0]), "--by", "+14155550190"])
    assert result.exit_code == 1
    assert "already acknowledged by Jordan Lee" in result.output
