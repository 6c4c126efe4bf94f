"""`iopbot db upgrade`, `iopbot dispatch --at`, `iopbot chat --phone`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, inspect, select

from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from tests.factories import make_participant

IOPBOT = Path(sys.executable).parent / "iopbot"


def test_db_upgrade_creates_the_schema_on_a_fresh_sqlite_file(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    env.pop("TWILIO_AUTH_TOKEN", None)
    result = subprocess.run([str(IOPBOT), "db", "upgrade"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "database at head" in result.stdout
    engine = create_engine(f"sqlite:///{tmp_path}/fresh.db")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"alembic_version", "counselors", "participants", "phone_numbers", "outbox",
            "message_log", "audit_events", "send_pacing"} <= tables


def test_dispatch_at_an_instant_drains_and_prints_a_summary(runner, runtime, clock, twilio,
                                                            db_session):
    p = make_participant(db_session)
    later = clock() + timedelta(hours=2)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body="now", kind="t", dedupe_key="a", now=clock())
        enqueue(s, to=p.phone, body="later", kind="t", dedupe_key="b", now=clock(),
                not_before=later)
    result = runner.invoke(args=["dispatch", "--at", clock().isoformat()])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"at: {clock().isoformat()}"
    assert "sent: 1" in lines
    assert [m["body"] for m in twilio.messages] == ["now"]
    result = runner.invoke(args=["dispatch", "--at", "2026-11-26T17:00:00Z"])
    assert "sent: 1" in result.output.splitlines()
    assert [m["body"] for m in twilio.messages] == ["now", "later"]


def test_dispatch_rejects_a_bad_instant(runner):
    result = runner.invoke(args=["dispatch", "--at", "tomorrow-ish"])
    assert result.exit_code == 2
    assert "ISO-8601" in result.output
    assert "Traceback" not in result.output


def test_chat_answers_through_the_same_handlers(runner, db_session):
    p = make_participant(db_session)
    result = runner.invoke(args=["chat", "--phone", p.phone], input="HELP\nSTOP\nhello\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("bot: Riverside Health")
    assert lines[1].startswith("bot: You won't get more texts")
    assert len(lines) == 2  # nothing after STOP
    assert db_session.get(PhoneNumber, p.phone, populate_existing=True).opted_out
    inbound = db_session.scalars(select(MessageLog).where(MessageLog.direction == "in")
                                 .order_by(MessageLog.id)).all()
    assert [(m.body, m.party, m.state) for m in inbound] == [
        ("HELP", "participant", "processed"), ("STOP", "participant", "processed"),
        ("hello", "participant", "processed")]


def test_chat_as_an_unknown_number_is_neutral(runner):
    result = runner.invoke(args=["chat", "--phone", "415 555 0987"], input="hi\n")
    assert result.exit_code == 0
    assert result.output.startswith("bot: Sorry, this number can't help")


def test_chat_with_a_bad_phone_is_one_line(runner, db_session):
    result = runner.invoke(args=["chat", "--phone", "banana"], input="hi\n")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert db_session.scalars(select(MessageLog)).first() is None


def test_chat_as_a_real_process_with_the_console_transport(tmp_path):
    from bot.models import Base

    url = f"sqlite:///{tmp_path}/iopbot.db"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(DATABASE_URL=url)
    result = subprocess.run([str(IOPBOT), "chat", "--phone", "+14155550987"], input="STOP\n",
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bot: You won't get more texts")
    assert "Traceback" not in result.stderr


def test_outbox_rows_are_pending_until_dispatch(runner, runtime, db_session, clock):
    runner.invoke(args=["counselor", "add", "--name", "Sam", "--phone", "4155550199"])
    runner.invoke(args=["participant", "add", "--name", "Alex", "--phone", "4155550123",
                        "--counselor", "4155550199", "--timezone", "America/New_York"])
    assert db_session.scalars(select(OutboxMessage)).one().state == "pending"
    runner.invoke(args=["dispatch"])
    assert db_session.scalars(select(OutboxMessage)).one().state == "sent"


def test_console_sends_from_separate_runs_never_collide(tmp_path):
    """Two dispatch runs on the embedded default each print and record their texts."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    iopbot = Path(sys.executable).parent / "iopbot"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
           "IOPBOT_TRANSPORT": "console"}
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        env.pop(key, None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(iopbot), *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)

    assert run("db", "upgrade").returncode == 0
    assert run("counselor", "add", "--name", "Sam", "--phone", "4155550199").returncode == 0
    for number in ("4155550123", "4155550124"):
        added = run("participant", "add", "--name", "Alex", "--phone", number, "--counselor",
                    "4155550199", "--timezone", "America/Chicago")
        assert added.returncode == 0, added.stderr
        sent = run("dispatch")
        assert sent.returncode == 0, sent.stderr
        assert f"SMS to +1{number}:" in sent.stdout
        assert "sent: 1" in sent.stdout
