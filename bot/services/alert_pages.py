"""Telling staff about an alert: the staff wording, when a page may go, and the pages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, AlertEvent, Counselor, Participant
from bot.outbox import PRIORITY_ALERT, PRIORITY_CRISIS, enqueue_many
from bot.queries.listing import alert_who
from bot.rules.timing import QuietHours
from bot.runtime import Runtime


def who(session: Session, alert: Alert) -> str:
    """The minimum-necessary reference to the person an alert is about."""
    if alert.participant_id is not None:
        return session.get(Participant, alert.participant_id).first_name_initial
    return alert_who(None, None, alert.phone)


def alert_text(alert: Alert, participant: Participant, summary: str) -> str:
    """The short staff text: minimum necessary, a reference, and how to acknowledge."""
    return (
        f"Alert {alert.id} {alert.level.upper()}: {participant.first_name_initial} {summary}. "
        f"Reply ACK {alert.id}"
    )


def staff_text(session: Session, runtime: Runtime, alert: Alert, key: str, **values) -> str:
    """Render staff wording `key` (config/messages/alerts.yaml) for `alert`."""
    return runtime.program.text(
        key, runtime.program.default_language, None, id=alert.id, level=alert.level.upper(),
        who=who(session, alert), summary=alert.summary or "needs a look", **values,
    )


def staff_send_time(runtime: Runtime, level: str, now: datetime) -> datetime:
    """When a staff text about an alert may go: crisis and urgent at once, day or night;
    a concern waits for the clinic's texting hours (clinic time zone), so counselors are not
    woken for something that can wait until morning."""
    if level != "concern":
        return now
    program = runtime.program
    quiet = QuietHours(program.quiet_start, program.quiet_end)
    tz = ZoneInfo(program.timezone)
    return now if quiet.inside(now.astimezone(tz).time()) else quiet.next_opening(now, tz)


def page(
    session: Session,
    runtime: Runtime,
    alert: Alert,
    counselors: Sequence[Counselor],
    *,
    body: str,
    tag: str,
    action: str,
    now: datetime,
    send_at: datetime | None = None,
    preface: Sequence[tuple[dict, dict]] = (),
) -> list[int]:
    """Queue `body` to each counselor once per (alert, tag), from `send_at` (default: now);
    log an AlertEvent and audit each. Three statements whatever the number of counselors: the
    texts, then the events and the audit rows (`preface`'s pair of rows first)."""
    priority = PRIORITY_CRISIS if alert.level == "crisis" else PRIORITY_ALERT
    not_before = staff_send_time(runtime, alert.level, send_at or now)
    by_key = {f"alert:{alert.id}:{tag}:{c.id}": c for c in counselors}
    rows = enqueue_many(session, [
        {"to_phone": counselor.phone, "body": body, "kind": f"alert.{alert.level}",
         "dedupe_key": key, "created_at": now, "priority": priority, "party": "counselor",
         "not_before": not_before}
        for key, counselor in by_key.items()
    ])
    events, audits = [event for event, _ in preface], [row for _, row in preface]
    for row in rows:
        counselor = by_key[row.dedupe_key]
        events.append(event_values(alert, now, action, counselor_id=counselor.id, outbox_id=row.id,
                             detail=tag))
        audits.append(audit.values(f"alert.{action}", now=now, subject_type="alert",
                                   subject_id=alert.id, counselor_id=counselor.id,
                                   outbox_id=row.id, step=tag))
    if events and session.get_bind().dialect.name == "postgresql":
        session.execute(EVENTS_AND_AUDITS, {"events": _json(events), "audits": _json(audits)})
        return [row.id for row in rows]
    if events:
        session.execute(insert(AlertEvent.__table__), events)
    audit.record_many(session, audits)
    return [row.id for row in rows]


# PostgreSQL: a page's alert events and their audit rows in one statement (one round trip less
# on the crisis path), each list a JSON array of rows, inserted in order.
EVENTS_AND_AUDITS = text("""
WITH events AS (
    INSERT INTO alert_events (alert_id, at, action, counselor_id, outbox_id, message_log_id, detail)
    SELECT alert_id, at, action, counselor_id, outbox_id, message_log_id, detail
    FROM json_to_recordset(CAST(:events AS json)) AS e(alert_id integer, at timestamptz,
        action text, counselor_id integer, outbox_id integer, message_log_id integer, detail text)
)
INSERT INTO audit_events (at, actor, action, subject_type, subject_id, detail, staff_id,
                          participant_id, page)
SELECT at, actor, action, subject_type, subject_id, detail, staff_id, participant_id, page
FROM json_to_recordset(CAST(:audits AS json)) AS a(at timestamptz, actor text, action text,
    subject_type text, subject_id integer, detail json, staff_id integer, participant_id integer,
    page text)
""")


def _json(rows: list[dict]) -> str:
    return json.dumps(rows, default=_instant)


def _instant(value: object) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} {value!r:.40} in an event row")


def event_values(alert: Alert, now: datetime, action: str, **values) -> dict:
    """An AlertEvent's column values."""
    return {"alert_id": alert.id, "at": now, "action": action, "counselor_id": None,
            "outbox_id": None, "message_log_id": None, "detail": None, **values}
