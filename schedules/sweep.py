"""One pass of all time-driven work as of `now`: every registered sweep, then the outbox.

Sweeps are set-based planners over stored rows (fires, alerts, updates); each runs in its own
transaction and returns counts for the summary. They are listed in registered_sweeps().
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.health import record_pass
from bot.runtime import Runtime
from bot.sending import DrainReport, drain

log = logging.getLogger(__name__)
Sweep = Callable[[Session, Runtime, datetime], dict[str, int]]



def registered_sweeps() -> list[tuple[str, Sweep]]:
    """Every sweep, in the order a pass runs them."""
    from schedules import escalation, family_updates, inbox_digest, planner, retention, screening

    return [
        ("schedule", planner.sweep),  # reminders, check-ins, follow-ups, missed check-ins
        ("screening", screening.sweep),  # unanswered screening questions: urgent alerts
        ("alerts", escalation.sweep),  # unacknowledged alerts climb the ladder
        ("family", family_updates.sweep),  # weekly family updates within consent
        ("retention", retention.sweep),  # daily: blank message bodies past the clinic's period
        ("inbox", inbox_digest.sweep),  # one daily "messages waiting" text per counselor
    ]


@dataclass
class PassReport:
    """What one pass planned and sent."""

    at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    sending: DrainReport = field(default_factory=DrainReport)

    def summary(self) -> str:
        """One line per figure: `name: count`, sweep counts first, then the outbox."""
        lines = [f"at: {self.at.isoformat()}"]
        lines += [f"{name}: {count}" for name, count in sorted(self.counts.items())]
        s = self.sending
        lines += [f"sent: {s.sent}", f"retried: {s.retried}", f"failed: {s.failed}",
                  f"dropped: {s.dropped}", f"suppressed: {s.suppressed}"]
        return "\n".join(lines)


def run_sweeps(runtime: Runtime, now: datetime) -> dict[str, int]:
    """Run every registered sweep as of `now`, each in its own transaction."""
    counts: dict[str, int] = {}
    for name, sweep in registered_sweeps():
        with runtime.Session() as session, session.begin():
            for key, value in (sweep(session, runtime, now) or {}).items():
                counts[f"{name}.{key}"] = counts.get(f"{name}.{key}", 0) + value
    return counts


def run_pass(runtime: Runtime, now: datetime | None = None, *, paced: bool = True) -> PassReport:
    """Sweep as of `now` (default: the runtime clock), then drain the outbox as of then."""
    at = now or runtime.now()
    with runtime.Session() as session, session.begin():
        record_pass(session, runtime.now())  # the real present, even for a pass `--at` another
    report = PassReport(at=at, counts=run_sweeps(runtime, at))
    report.sending = drain(runtime, now=at, paced=paced)
    with runtime.Session() as session, session.begin():
        record_pass(session, runtime.now())  # a long drain still counts as a live clock
    return report
