"""Raising counselor alerts and telling staff about them (the ladder builds on this)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, AlertEvent, Counselor, Participant
from bot.outbox import PRIORITY_ALERT, PRIORITY_CRISIS, enqueue
from bot.rules.timing import QuietHours
from bot.runtime import Runtime

log = logging.getLogger(__name__)
LEVEL_RANK = {"concern": 1, "urgent": 2, "crisis": 3}
FOLLOW_UP_WINDOW = timedelta(hours=24)  # a new text this soon joins the open alert it echoes
# Staff hear about more texts on an alert at most once per window after its first page: a
# flood of texts from one number is one "texted again" page per window, not a page per text.
FOLD_WINDOW = timedelta(minutes=5)


@dataclass
class RaisedAlert:
    """A new alert and the outbox rows that tell staff about it."""

    alert: Alert
    outbox_ids: list[int] = field(default_factory=list)


def short_summary(reasons: Sequence[str], limit: int = 80) -> str:
    """Staff-facing summary from triage reasons: the first two, without their details."""
    parts = [re.sub(r"\s*\(.*?\)", "", r).strip() for r in reasons[:2]]
    text = "; ".join(p for p in parts if p) or "needs a look"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def who(session: Session, alert: Alert) -> str:
    """The minimum-necessary reference to the person an alert is about."""
    if alert.participant_id is not None:
        return session.get(Participant, alert.participant_id).first_name_initial
    return f"unknown number ending {(alert.phone or '')[-4:]}"


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
) -> list[int]:
    """Queue `body` to each counselor once per (alert, tag), from `send_at` (default: now);
    log an AlertEvent and audit each."""
    ids = []
    priority = PRIORITY_CRISIS if alert.level == "crisis" else PRIORITY_ALERT
    not_before = staff_send_time(runtime, alert.level, send_at or now)
    for counselor in counselors:
        row = enqueue(
            session, to=counselor.phone, body=body, kind=f"alert.{alert.level}",
            dedupe_key=f"alert:{alert.id}:{tag}:{counselor.id}", now=now, priority=priority,
            party="counselor", not_before=not_before,
        )
        if row is None:
            continue
        ids.append(row.id)
        session.add(AlertEvent(alert_id=alert.id, at=now, action=action,
                               counselor_id=counselor.id, outbox_id=row.id, detail=tag))
        audit.record(session, f"alert.{action}", now=now, subject_type="alert",
                     subject_id=alert.id, counselor_id=counselor.id, outbox_id=row.id, step=tag)
    return ids


def raise_alert(
    session: Session,
    runtime: Runtime,
    *,
    participant: Participant | None,
    level: str,
    kind: str,
    reasons: Sequence[str],
    summary: str,
    now: datetime,
    dedupe_key: str,
    message_log_id: int | None = None,
    phone: str | None = None,
) -> RaisedAlert | None:
    """Create an alert and text the people its level notifies; None if `dedupe_key` exists.

    `participant` is None only for crisis language from an unknown `phone`.
    """
    from bot.rules.ladder import deadline_after
    from bot.services.escalation import first_recipients, ladder_for

    if level not in LEVEL_RANK:
        raise ValueError(f"alert level must be one of {tuple(LEVEL_RANK)}, not {level!r}")
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)):
        return None
    ladder = ladder_for(runtime.program)
    alert = Alert(
        dedupe_key=dedupe_key, participant_id=participant.id if participant else None,
        counselor_id=participant.counselor_id if participant else None, phone=phone,
        level=level, kind=kind[:30], reasons=list(reasons), summary=summary[:120],
        message_log_id=message_log_id, state="open", step=0, created_at=now,
        deadline_at=deadline_after(ladder, level, 0, now),
    )
    session.add(alert)
    session.flush()
    session.add(AlertEvent(alert_id=alert.id, at=now, action="created", detail=kind[:300],
                           message_log_id=message_log_id))
    audit.record(session, "alert.raised", now=now, subject_type="alert", subject_id=alert.id,
                 level=level, kind=kind, reasons=list(reasons))
    counselors = first_recipients(session, ladder, alert, runtime.program, now)
    if not counselors:
        log.warning("alert %s (%s): no active counselor to notify", alert.id, level)
    body = staff_text(session, runtime, alert, "alert.staff.new")
    ids = page(session, runtime, alert, counselors, body=body, tag="step0", action="notified",
               now=now)
    return RaisedAlert(alert, ids)


def open_alert_like(
    session: Session, *, participant_id: int | None, phone: str | None, level: str, now: datetime
) -> Alert | None:
    """A recent unresolved alert about the same person at `level` or above, if any."""
    stmt = select(Alert).where(
        Alert.state != "resolved", Alert.created_at >= now - FOLLOW_UP_WINDOW,
        Alert.level.in_([lv for lv, rank in LEVEL_RANK.items() if rank >= LEVEL_RANK[level]]),
    )
    if participant_id is not None:
        stmt = stmt.where(Alert.participant_id == participant_id)
    else:
        stmt = stmt.where(Alert.phone == phone, Alert.participant_id.is_(None))
    return session.scalars(stmt.order_by(Alert.id.desc()).limit(1)).first()


def follow_up(
    session: Session, runtime: Runtime, alert: Alert, *, message_log_id: int, now: datetime
) -> list[int]:
    """Log another text on an open alert and tell who has it (a crisis: everyone paged first).

    Other levels tell only the counselor who acknowledged; until then the ladder does the rest.
    """
    from bot.services.escalation import first_notified

    session.add(AlertEvent(alert_id=alert.id, at=now, action="follow_up",
                           message_log_id=message_log_id))
    audit.record(session, "alert.follow_up", now=now, subject_type="alert", subject_id=alert.id,
                 message_log_id=message_log_id)
    acker = session.get(Counselor, alert.acknowledged_by) if alert.acknowledged_by else None
    if alert.state == "acknowledged" and acker is not None:
        # Whoever acknowledged it has left: the (reassigned) counselor hears instead.
        assigned = session.get(Counselor, alert.counselor_id) if alert.counselor_id else None
        people = [c for c in ([acker] if acker.active else [assigned]) if c and c.active]
    elif alert.level == "crisis":
        people = first_notified(session, alert)
    else:
        return []
    key = "alert.staff.again" if alert.state == "acknowledged" else "alert.staff.again_open"
    body = staff_text(session, runtime, alert, key)
    # At most one "texted again" page per FOLD_WINDOW (windows counted from the alert's
    # creation). The page's dedupe key names its window, so with several web workers the
    # INSERT ... ON CONFLICT decides: the first repeat in a window pages at once (a second
    # crisis text may say more: err toward telling); later ones, the window's page already
    # queued, are folded into one page when the next window opens.
    window = int((now - alert.created_at) / FOLD_WINDOW)
    ids = page(session, runtime, alert, people, body=body, tag=f"again{window}",
               action="notified", now=now)
    if ids:
        return ids
    later = alert.created_at + FOLD_WINDOW * (window + 1)
    page(session, runtime, alert, people, body=body, tag=f"again{window + 1}",
         action="notified", now=now, send_at=later)
    return []  # nothing to send now: the clock sends the folded page when its window opens


@dataclass
class AlertOutcome:
    """What `raise_or_add` did: the alert (new or open), and the pages to send right away."""

    alert: Alert | None
    page_now: list[int] = field(default_factory=list)
    new: bool = False


def raise_or_add(
    session: Session,
    runtime: Runtime,
    *,
    participant: Participant | None,
    level: str,
    kind: str,
    reasons: Sequence[str],
    summary: str,
    now: datetime,
    dedupe_key: str,
    message_log_id: int | None = None,
    phone: str | None = None,
    add_to_open: bool = True,
) -> AlertOutcome:
    """The one way an alert starts or grows: add to a recent open alert about the same person
    at `level` or above (`add_to_open`), else raise a new one (None alert on a replayed
    `dedupe_key`). Pages to send now: a follow-up's, and a new crisis alert's; the clock sends
    the rest. The webhook, the clock's sweeps and the console all come through here.
    """
    if add_to_open and message_log_id is not None:
        existing = open_alert_like(
            session, participant_id=participant.id if participant else None, phone=phone,
            level=level, now=now,
        )
        if existing is not None:
            ids = follow_up(session, runtime, existing, message_log_id=message_log_id, now=now)
            return AlertOutcome(existing, ids)
    raised = raise_alert(
        session, runtime, participant=participant, level=level, kind=kind, reasons=reasons,
        summary=summary, now=now, dedupe_key=dedupe_key, message_log_id=message_log_id,
        phone=None if participant else phone,
    )
    if raised is None:
        return AlertOutcome(None)
    log.info("alert %s (%s) raised: %s", raised.alert.id, level, kind)
    return AlertOutcome(raised.alert, raised.outbox_ids if level == "crisis" else [], new=True)
