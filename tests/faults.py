"""Fault drills shared by the fault tests and the benchmarks: real processes, loopback only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.db import make_engine, make_session_factory
from bot.migrate import upgrade
from bot.outbox import enqueue
from tests.twilio_fake import FakeTwilio

IOPBOT = str(Path(sys.executable).with_name("iopbot"))


@dataclass
class KillReport:
    """What a kill -9 of the clock mid-drain did."""

    queued: int
    before_kill: int  # texts Twilio had accepted when the clock was killed
    accepted: int  # distinct texts accepted in the end
    duplicates: int  # texts accepted more than once
    recovery_seconds: float | None  # new clock started -> last text accepted (None: never)


def sender_env(database_url: str, fake: FakeTwilio, *, rate: float, tick: float) -> dict:
    """The environment of a clock that sends through `fake`."""
    env = {
        **os.environ, "DATABASE_URL": database_url, "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token, "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": fake.base_url, "IOPBOT_TRANSPORT": "twilio",
        "IOPBOT_SEND_RATE": str(rate), "IOPBOT_TICK_SECONDS": str(tick),
        "IOPBOT_LOG_LEVEL": "WARNING",
    }
    env.pop("PUBLIC_BASE_URL", None)
    return env


def kill_clock_mid_drain(
    database_url: str, fake: FakeTwilio, cwd: Path, *, texts: int = 30, rate: float = 10.0,
    kill_after: int = 8, tick: float = 1.0, timeout: float = 90.0,
) -> KillReport:
    """Queue `texts`, start `iopbot scheduler`, kill -9 it after `kill_after` were accepted,
    start a new one and wait until every text was accepted (or `timeout`)."""
    engine = make_engine(database_url)
    upgrade(engine)
    Session = make_session_factory(engine)
    now = datetime.now(UTC)
    with Session() as session, session.begin():
        for i in range(texts):
            enqueue(session, to=f"+1415557{i:04d}", body=f"Reminder {i}: group at 6pm",
                    kind="test", dedupe_key=f"kill:{i}", now=now)
    engine.dispose()
    env = sender_env(database_url, fake, rate=rate, tick=tick)

    def clock() -> subprocess.Popen:
        return subprocess.Popen([IOPBOT, "scheduler"], env=env, cwd=cwd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    first = clock()
    try:
        fake.wait_for(kill_after, timeout=timeout)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    before = len(fake.messages)
    restarted, second = time.monotonic(), clock()
    recovery = None
    try:
        deadline = restarted + timeout
        while time.monotonic() < deadline:
            if len({m["body"] for m in fake.messages}) >= texts:
                recovery = time.monotonic() - restarted
                break
            time.sleep(0.05)
        time.sleep(1.0)  # any duplicate would arrive now
    finally:
        second.terminate()
        _, err = second.communicate(timeout=30)
    assert "Traceback" not in err, err
    counts = Counter(m["body"] for m in fake.messages)
    return KillReport(
        queued=texts, before_kill=before, accepted=len(counts),
        duplicates=sum(c - 1 for c in counts.values()), recovery_seconds=recovery,
    )
