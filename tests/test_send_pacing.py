"""Shared pacing: a sender that falls behind its reserved slots must not crowd another's.

Time is swapped for a fake one in `bot.sending` so a stalled sender is deterministic.
"""

from __future__ import annotations

import logging
import re

import pytest

from bot.outbox import enqueue
from bot.sending import LATE_SLOT, drain, reserve_slots

RATE = 2.0  # a slot every 0.5 s; a batch is 2 s worth (4 rows)
STEP = 1 / RATE
STARTED = re.compile(r"outbox (\d+): slot ([0-9.]+) started ([0-9.]+)")


class StallingTime:
    """time.time/time.sleep for the sender; the first sleep stalls it 3 s, as a busy machine
    would, and meanwhile another sender reserves its own slots."""

    def __init__(self, runtime) -> None:
        self.now = 1_900_000_000.0
        self.runtime = runtime
        self.other: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if not self.other:
            self.now += 3.0
            with self.runtime.Session() as s, s.begin():
                self.other = reserve_slots(s, 4, RATE, self.now)


@pytest.fixture
def stalled(runtime, clock, monkeypatch, caplog):
    fake = StallingTime(runtime)
    monkeypatch.setattr("bot.sending.time", fake)
    runtime.settings = runtime.settings.with_overrides(send_rate=RATE)
    with runtime.Session() as s, s.begin():
        for i in range(6):
            enqueue(s, to=f"+1415556{i:04d}", body=f"Reminder {i}", kind="test",
                    dedupe_key=f"p:{i}", now=clock())
    caplog.set_level(logging.DEBUG, logger="bot.sending")
    return fake


def started(caplog) -> list[tuple[float, float]]:
    """(slot, start) of every paced send, from the sender's debug log."""
    return [(float(m[2]), float(m[3])) for m in STARTED.finditer(caplog.text)]


def test_a_late_sender_takes_fresh_slots_instead_of_crowding_another(stalled, caplog, twilio):
    report = drain(stalled.runtime)
    assert report.sent == 6
    sends = started(caplog)
    assert len(sends) == 6
    # Every send started at or after its slot and not later than LATE_SLOT behind it...
    assert all(slot <= start <= slot + LATE_SLOT for slot, start in sends), sends
    # ...and together with the other sender's slots no two starts are closer than one step.
    moments = sorted([start for _, start in sends] + stalled.other)
    gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
    assert min(gaps) >= STEP - 1e-6, gaps
