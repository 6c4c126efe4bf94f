"""Raising counselor alerts (the escalation ladder and acknowledgements build on this)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Alert, AlertEvent, Counselor, Participant
from bot.outbox import PRIORITY_ALERT, PRIORITY_CRISIS, enqueue
from bot.runtime import Runtime


@dataclass
class RaisedAlert:
    """A new alert and the outbox rows that tell staff about it."""

    alert: Alert
    outbox_ids: list[int] = field(default_factory=list)


def alert_text(alert: Alert, participant: Participant, summary: str) -> str:
    """The short staff text: minimum necessary, a reference, and how to acknowledge."""
    return (
        f"Alert {alert.id} {alert.level.upper()}: {participant.first_name_initial} {summary}. "
        f"Reply ACK {alert.id}"
    )


def raise_alert(
    session: Session,
    runtime: Runtime,
    *,
    participant: Participant,
    level: str,
    kind: str,
    reasons: Sequence[str],
    summary: str,
    now: datetime,
    dedupe_key: str,
    message_log_id: int | None = None,
) -> RaisedAlert | None:
    """Create an alert and queue the assigned counselor's text; None if `dedupe_key` exists."""
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)):
        return None
    alert = Alert(
        dedupe_key=dedupe_key, participant_id=participant.id,
        counselor_id=participant.counselor_id, level=level, kind=kind, reasons=list(reasons),
        message_log_id=message_log_id, state="open", step=0, created_at=now,
    )
    session.add(alert)
    session.flush()
    session.add(AlertEvent(alert_id=alert.id, at=now, action="created", detail=kind))
    counselor = session.get(Counselor, participant.counselor_id)
    row = enqueue(
        session, to=counselor.phone, body=alert_text(alert, participant, summary),
        kind=f"alert.{level}", dedupe_key=f"alert:{alert.id}:step0:{counselor.id}", now=now,
        priority=PRIORITY_CRISIS if level == "crisis" else PRIORITY_ALERT, party="counselor",
    )
    raised = RaisedAlert(alert)
    if row is not None:
        raised.outbox_ids.append(row.id)
        session.add(AlertEvent(alert_id=alert.id, at=now, action="notified",
                               counselor_id=counselor.id, outbox_id=row.id))
    return raised
