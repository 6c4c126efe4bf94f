"""Message-body retention: blank the words of old texts, keep everything else.

The clinic sets `retention.message_bodies_days` in its program file (default: keep). Only the
text of the message log and of finished outbox rows is blanked; who, when, state, alerts,
consents and the accounting of family disclosures (42 CFR 2.25) are kept for their own periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import MessageLog, OutboxMessage

BLANK = ""
UNFINISHED = ("pending", "sending")  # still to be sent: never blanked


@dataclass(frozen=True)
class RetentionReport:
    """How many bodies a run blanked, and the cut-off it used (None: retention is off)."""

    cutoff: datetime | None
    log_blanked: int = 0
    outbox_blanked: int = 0

    def line(self) -> str:
        """One line for the CLI."""
        if self.cutoff is None:
            return "retention: message bodies are kept (retention.message_bodies_days not set)"
        return (f"retention: blanked {self.log_blanked} logged and {self.outbox_blanked} outbox "
                f"message bodies older than {self.cutoff:%Y-%m-%d %H:%M}Z")


def blank_old_bodies(
    session: Session, keep_days: int | None, now: datetime, actor: str = "system"
) -> RetentionReport:
    """Blank message bodies created before `now - keep_days`; audited when anything changed."""
    if keep_days is None:
        return RetentionReport(cutoff=None)
    cutoff = now - timedelta(days=keep_days)
    logged = session.execute(
        update(MessageLog)
        .where(MessageLog.created_at < cutoff, MessageLog.body != BLANK)
        .values(body=BLANK)
        .execution_options(synchronize_session=False)
    ).rowcount
    queued = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.created_at < cutoff, OutboxMessage.body != BLANK,
               OutboxMessage.state.not_in(UNFINISHED))
        .values(body=BLANK)
        .execution_options(synchronize_session=False)
    ).rowcount
    report = RetentionReport(cutoff=cutoff, log_blanked=logged, outbox_blanked=queued)
    if logged or queued:
        audit.record(session, "retention.blank_bodies", now=now, actor=actor,
                     keep_days=keep_days, cutoff=cutoff.isoformat(),
                     message_log=logged, outbox=queued)
    return report
