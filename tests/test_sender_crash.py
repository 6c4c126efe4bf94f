"""A sender that dies between claiming a row and hearing Twilio's answer.

The row stays "sending"; after LEASE another drain puts it back with maybe_sent=True and the
next attempt first asks Twilio (messages.list by To) whether the text already went out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.heartbeat import DEAD_AFTER, sender_name
from bot.models import AuditEvent, OutboxMessage
from bot.models.messaging import Sender
from bot.outbox import enqueue
from bot.senders import build_transport
from bot.sending import LEASE, claim, drain
from bot.twilio_http import make_client

PHONE = "+14155550177"
BODY = "Reminder: group Tue 6pm. Reply C to confirm."


@pytest.fixture(autouse=True)
def real_time(clock):
    """The fake stamps messages with the wall clock; keep the app's clock beside it."""
    clock.set(datetime.now(UTC).replace(microsecond=0))


def queue(runtime, clock, key: str = "rem:1", body: str = BODY) -> int:
    """One pending text."""
    with runtime.Session() as s, s.begin():
        return enqueue(s, to=PHONE, body=body, kind="reminder", dedupe_key=key,
                       now=clock()).id


def claim_and_die(runtime, clock) -> list[int]:
    """Claim every due row in a committed transaction, then never deliver (a crash)."""
    with runtime.Session() as s, s.begin():
        rows, _ = claim(s, clock(), 10)
        return [r.id for r in rows]


def row(db_session, row_id: int) -> OutboxMessage:
    """The current state of an outbox row."""
    return db_session.get(OutboxMessage, row_id, populate_existing=True)


def twilio_accepts(twilio, body: str = BODY) -> str:
    """Create the message in the fake directly, as the dead sender's request would have."""
    client = make_client(twilio.account_sid, twilio.auth_token, twilio.base_url)
    return client.messages.create(to=PHONE, from_="+15005550006", body=body).sid


def test_a_claimed_row_is_left_alone_within_the_lease(runtime, clock, twilio, db_session):
    rid = queue(runtime, clock)
    assert claim_and_die(runtime, clock) == [rid]
    clock.advance(seconds=LEASE.total_seconds() - 1)
    report = drain(runtime)
    assert (report.recovered, report.sent) == (0, 0)
    assert row(db_session, rid).state == "sending"
    assert twilio.requests == []


def test_crash_after_twilio_accepted_is_reconciled_not_sent_twice(
    runtime, clock, twilio, db_session
):
    rid = queue(runtime, clock)
    claim_and_die(runtime, clock)
    sid = twilio_accepts(twilio)
    clock.advance(seconds=LEASE.total_seconds() + 1)
    report = drain(runtime)
    assert (report.recovered, report.sent) == (1, 1)
    assert len(twilio.messages) == 1  # not sent again
    r = row(db_session, rid)
    assert (r.state, r.twilio_sid, r.maybe_sent) == ("sent", sid, False)
    creates = [q for q in twilio.requests if q["method"] == "POST"]
    assert len(creates) == 1
    lists = [q for q in twilio.requests if q["method"] == "GET"]
    assert lists and lists[0]["query"]["To"] == PHONE
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "send.recovered"))


def test_crash_before_twilio_heard_anything_sends_once(runtime, clock, twilio, db_session):
    rid = queue(runtime, clock)
    claim_and_die(runtime, clock)
    clock.advance(minutes=6)
    report = drain(runtime)
    assert (report.recovered, report.sent) == (1, 1)
    assert len(twilio.messages) == 1
    r = row(db_session, rid)
    assert (r.state, r.attempts) == ("sent", 2)
    assert drain(runtime, now=clock() + timedelta(hours=1)).sent == 0
    assert len(twilio.messages) == 1


def test_timeout_after_twilio_accepted_is_reconciled(runtime, clock, twilio, db_session):
    runtime.settings = runtime.settings.with_overrides(send_timeout=0.3)
    runtime.transport = build_transport(runtime.settings)
    rid = queue(runtime, clock)
    twilio.delay_next(1.0)  # accepted at once, answered after the client gave up
    report = drain(runtime)
    assert report.retried == 1
    r = row(db_session, rid)
    assert (r.state, r.maybe_sent) == ("pending", True)
    twilio.wait_for(1)
    clock.set(r.not_before)
    assert drain(runtime).sent == 1
    assert len(twilio.messages) == 1
    r = row(db_session, rid)
    assert (r.state, r.twilio_sid) == ("sent", twilio.messages[0]["sid"])


def test_twilio_unreachable_while_checking_keeps_the_row_for_later(
    runtime, clock, twilio, db_session
):
    rid = queue(runtime, clock)
    claim_and_die(runtime, clock)
    clock.advance(minutes=6)
    runtime.settings = runtime.settings.with_overrides(twilio_api_base_url="http://127.0.0.1:9")
    runtime.transport = build_transport(runtime.settings)
    report = drain(runtime)
    assert (report.recovered, report.sent, report.retried) == (1, 0, 1)
    r = row(db_session, rid)
    assert (r.state, r.maybe_sent) == ("pending", True)  # still to be checked, not lost


def test_an_earlier_identical_text_is_not_taken_for_the_lost_one(
    runtime, clock, twilio, db_session
):
    first = queue(runtime, clock, key="rem:mon")
    assert drain(runtime).sent == 1  # Monday's reminder, same wording
    clock.advance(minutes=1)
    second = queue(runtime, clock, key="rem:tue")
    claim_and_die(runtime, clock)  # died before Twilio got Tuesday's
    clock.advance(minutes=6)
    assert drain(runtime).sent == 1
    assert len(twilio.messages) == 2  # Tuesday's was really sent
    assert row(db_session, first).twilio_sid != row(db_session, second).twilio_sid


def test_yesterdays_identical_text_is_outside_the_lookback(runtime, clock, twilio, db_session):
    twilio_accepts(twilio)  # yesterday's reminder (recorded nowhere, e.g. an old database)
    clock.advance(hours=1)
    rid = queue(runtime, clock)
    clock.advance(minutes=-30)  # pretend the row is an hour younger than Twilio's message
    claim_and_die(runtime, clock)
    clock.advance(hours=1)
    assert drain(runtime).sent == 1
    assert len(twilio.messages) == 2
    assert row(db_session, rid).twilio_sid == twilio.messages[1]["sid"]


# A dead sender's rows are free at once, not after LEASE (bot.heartbeat). -----------------------


def claim_in_a_process_that_dies(runtime, clock, database_url, tmp_path) -> list[int]:
    """Claim every due row in a real process (committed, heartbeat written), then kill -9 it."""
    code = (
        "import os, signal\n"
        "from datetime import datetime\n"
        "from bot.app import build_runtime\n"
        "from bot.settings import Settings\n"
        "from bot.sending import claim\n"
        "rt = build_runtime(Settings.from_env())\n"
        f"at = datetime.fromisoformat({clock().isoformat()!r})\n"
        "with rt.Session() as s, s.begin():\n"
        "    rows, _ = claim(s, at, 10)\n"
        "    print(' '.join(str(r.id) for r in rows), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "IOPBOT_TRANSPORT": "console"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return [int(x) for x in done.stdout.split()]


def test_a_row_held_by_a_killed_sender_goes_out_at_once(
    runtime, clock, twilio, db_session, database_url, tmp_path
):
    rid = queue(runtime, clock)
    assert claim_in_a_process_that_dies(runtime, clock, database_url, tmp_path) == [rid]
    assert row(db_session, rid).state == "sending"
    report = drain(runtime)  # no lease wait: the claimant's process is gone
    assert (report.recovered, report.sent) == (1, 1)
    assert len(twilio.messages) == 1
    assert (row(db_session, rid).state, row(db_session, rid).attempts) == ("sent", 2)


def test_a_killed_senders_row_that_twilio_accepted_is_reconciled_not_resent(
    runtime, clock, twilio, db_session, database_url, tmp_path
):
    rid = queue(runtime, clock)
    claim_in_a_process_that_dies(runtime, clock, database_url, tmp_path)
    sid = twilio_accepts(twilio)  # its request had reached Twilio before it died
    report = drain(runtime)
    assert (report.recovered, report.sent) == (1, 1)
    assert len(twilio.messages) == 1
    assert row(db_session, rid).twilio_sid == sid


def other_host_claims(runtime, clock, beat_age: timedelta) -> int:
    """A row claimed by a sender on another machine whose last beat was `beat_age` ago."""
    rid = queue(runtime, clock)
    with runtime.Session() as s, s.begin():
        (r,), _ = claim(s, clock(), 10)
        r.claimed_by = "elsewhere:4242"
        s.add(Sender(name="elsewhere:4242", beat_at=datetime.now(UTC) - beat_age))
    return rid


def test_a_row_held_by_a_silent_sender_elsewhere_is_free_after_dead_after(
    runtime, clock, twilio, db_session
):
    rid = other_host_claims(runtime, clock, DEAD_AFTER + timedelta(seconds=1))
    assert drain(runtime).recovered == 1
    assert row(db_session, rid).state == "sent"


def test_a_row_held_by_a_live_sender_elsewhere_is_left_alone(
    runtime, clock, twilio, db_session
):
    rid = other_host_claims(runtime, clock, timedelta(seconds=1))
    assert (drain(runtime).recovered, twilio.requests) == (0, [])
    assert row(db_session, rid).state == "sending"


def test_a_sender_beats_while_it_holds_rows(runtime, clock, twilio, db_session, monkeypatch):
    monkeypatch.setattr("bot.heartbeat.HEARTBEAT", 0.05)
    queue(runtime, clock)
    twilio.delay_next(0.5)  # Twilio slow: the sender holds the row for a while
    assert drain(runtime).sent == 1
    beats = db_session.scalars(select(Sender)).all()
    assert [b.name for b in beats] == [sender_name()]
    assert datetime.now(UTC) - beats[0].beat_at < timedelta(seconds=0.4)


def test_long_gone_senders_are_forgotten_when_a_new_one_starts(
    runtime, clock, twilio, db_session
):
    with runtime.Session() as s, s.begin():
        s.add(Sender(name="old-box:17", beat_at=datetime.now(UTC) - timedelta(days=2)))
        s.add(Sender(name="recent-box:18", beat_at=datetime.now(UTC) - timedelta(hours=1)))
    queue(runtime, clock)
    assert drain(runtime).sent == 1
    names = set(db_session.scalars(select(Sender.name)))
    assert names == {"recent-box:18", sender_name()}
