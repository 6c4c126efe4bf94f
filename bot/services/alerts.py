"""Raising counselor alerts and telling staff about them (the ladder builds on this)."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Insert, Select, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, AlertEvent, Counselor, Participant
from bot.rules.ladder import deadline_after
from bot.runtime import Runtime
from bot.services.alert_pages import event_values, page, staff_text, who
from bot.services.escalation import first_notified, first_recipients, ladder_for

__all__ = ["AlertOutcome", "RaisedAlert", "follow_up", "open_alert_like", "page",
           "raise_alert", "raise_or_add", "short_summary", "staff_text", "who"]

log = logging.getLogger(__name__)
LEVEL_RANK = {"concern": 1, "urgent": 2, "crisis": 3}
LEVELS_FROM = {level: [lv for lv, r in LEVEL_RANK.items() if r >= rank]  # a level and those above
               for level, rank in LEVEL_RANK.items()}
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
    if level not in LEVEL_RANK:
        raise ValueError(f"alert level must be one of {tuple(LEVEL_RANK)}, not {level!r}")
    ladder = ladder_for(runtime.program)
    # One round trip, race-free: INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING.
    alert = session.scalars(_insert_alert(session.get_bind().dialect.name), {
        "dedupe_key": dedupe_key, "participant_id": participant.id if participant else None,
        "counselor_id": participant.counselor_id if participant else None, "phone": phone,
        "level": level, "kind": kind[:30], "reasons": list(reasons), "summary": summary[:120],
        "message_log_id": message_log_id, "state": "open", "step": 0, "created_at": now,
        "deadline_at": deadline_after(ladder, level, 0, now),
    }).one_or_none()
    if alert is None:
        return None
    counselors = first_recipients(session, ladder, alert, runtime.program, now)
    # Written with the pages' events, first (so its id comes first).
    created = (
        event_values(alert, now, "created", detail=kind[:300], message_log_id=message_log_id),
        audit.values("alert.raised", now=now, subject_type="alert", subject_id=alert.id,
                     level=level, kind=kind, reasons=list(reasons)),
    )
    if not counselors:
        log.warning("alert %s (%s): no active counselor to notify", alert.id, level)
    body = staff_text(session, runtime, alert, "alert.staff.new")
    ids = page(session, runtime, alert, counselors, body=body, tag="step0", action="notified",
               now=now, preface=[created])
    return RaisedAlert(alert, ids)


@functools.cache
def _insert_alert(dialect: str) -> Insert:
    """The new alert's INSERT ... ON CONFLICT DO NOTHING RETURNING, built once per process
    (values as bound parameters: building the statement per text cost more than running it)."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (module.insert(Alert).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Alert))


@functools.cache
def _open_alert(by_participant: bool) -> Select:
    """`open_alert_like`'s query, built once per process with bound parameters."""
    stmt = select(Alert).where(
        Alert.state != "resolved", Alert.created_at >= bindparam("since"),
        Alert.level.in_(bindparam("levels", expanding=True)),
    )
    if by_participant:
        stmt = stmt.where(Alert.participant_id == bindparam("participant_id"))
    else:
        stmt = stmt.where(Alert.phone == bindparam("phone"), Alert.participant_id.is_(None))
    return stmt.order_by(Alert.id.desc()).limit(1)


def open_alert_like(
    session: Session, *, participant_id: int | None, phone: str | None, level: str, now: datetime
) -> Alert | None:
    """A recent unresolved alert about the same person at `level` or above, if any."""
    by_participant = participant_id is not None
    params = {"since": now - FOLLOW_UP_WINDOW, "levels": LEVELS_FROM[level]}
    params.update({"participant_id": participant_id} if by_participant else {"phone": phone})
    return session.scalars(_open_alert(by_participant), params).first()


def follow_up(
    session: Session, runtime: Runtime, alert: Alert, *, message_log_id: int, now: datetime
) -> list[int]:
    """Log another text on an open alert and tell who has it (a crisis: everyone paged first).

    Other levels tell only the counselor who acknowledged; until then the ladder does the rest.
    """
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
