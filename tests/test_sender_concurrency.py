"""Several senders draining one outbox at once send every row exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from bot.app import build_runtime
from bot.outbox import enqueue
from bot.sending import LATE_SLOT, drain
from tests.twilio_fake import FakeTwilio

IOPBOT = Path(sys.executable).parent / "iopbot"
STARTED = re.compile(r"outbox (\d+): slot ([0-9.]+) started ([0-9.]+)")


@pytest.fixture
def slow_twilio():
    """A loopback Twilio with a little latency, so senders overlap."""
    with FakeTwilio(latency_ms=5) as fake:
        yield fake


def fill(runtime, clock, n: int) -> None:
    """Queue `n` texts to distinct numbers."""
    with runtime.Session() as s, s.begin():
        for i in range(n):
            enqueue(s, to=f"+1415556{i:04d}", body=f"Reminder {i}", kind="test",
                    dedupe_key=f"c:{i}", now=clock())


def assert_each_sent_once(fake: FakeTwilio, n: int) -> None:
    """Every queued text reached Twilio exactly once."""
    counts = Counter(m["body"] for m in fake.messages)
    assert len(counts) == n
    assert set(counts.values()) == {1}, [b for b, c in counts.items() if c > 1]


def test_threads_with_separate_runtimes_send_each_row_once(
    runtime, clock, slow_twilio, settings
):
    fill(runtime, clock, 120)
    own = settings.with_overrides(
        twilio_account_sid=slow_twilio.account_sid, twilio_auth_token=slow_twilio.auth_token,
        twilio_api_base_url=slow_twilio.base_url, send_rate=1.0,  # claims 2 rows at a time
    )
    runtimes = [build_runtime(own, clock=clock) for _ in range(4)]
    reports, errors = [], []

    def work(rt):
        try:
            reports.append(drain(rt, paced=False))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(rt,)) for rt in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for rt in runtimes:
        rt.engine.dispose()
    assert errors == []
    assert sum(r.sent for r in reports) == 120
    assert sum(1 for r in reports if r.sent) >= 2  # the work really was shared
    assert_each_sent_once(slow_twilio, 120)


def test_two_dispatch_processes_send_each_row_once(
    runtime, clock, slow_twilio, database_url, tmp_path
):
    n, rate = 60, 20
    fill(runtime, clock, n)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": slow_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": slow_twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": slow_twilio.base_url,
        "IOPBOT_TRANSPORT": "twilio",
        "IOPBOT_SEND_RATE": str(rate),  # batches of 2 s worth: both processes get rows
        "IOPBOT_LOG_LEVEL": "DEBUG",  # each paced send logs its slot and start
    }
    env.pop("PUBLIC_BASE_URL", None)
    at = clock().isoformat()
    procs = [
        subprocess.Popen([str(IOPBOT), "dispatch", "--at", at], env=env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    sent = [int(line.split(":")[1]) for out, _ in outputs for line in out.splitlines()
            if line.startswith("sent:")]
    assert sum(sent) == n, sent
    assert_each_sent_once(slow_twilio, n)
    # Pacing is shared through the database: together they kept to the rate, not each to it
    # (that would be 2x). Checked on what each sender decided (its debug log: the shared slot
    # and when it started), so a loaded machine that delays requests on their way to the fake
    # cannot fail it: the slots of both processes are one sequence a step apart, and each send
    # started at its slot, no more than LATE_SLOT after it.
    sends = [(float(m[2]), float(m[3])) for _, err in outputs for m in STARTED.finditer(err)]
    assert len(sends) == n
    slots = sorted(slot for slot, _ in sends)
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 1 / rate - 1e-6, gaps
    assert all(slot <= start <= slot + LATE_SLOT for slot, start in sends)
