"""The sender: claims due outbox rows, paces them, sends them and records the outcome.

Claims are row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite) so
any number of sender processes can drain one outbox without sending a row twice.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import MessageLog, OutboxMessage, PhoneNumber, SendPacing
from bot.outbox import flag_recipient, is_opted_out
from bot.phones import mask, to_address
from bot.rules.send_errors import backoff, classify_error
from bot.runtime import Runtime
from bot.senders.base import SendError
from bot.sql import for_update_skip_locked, insert_ignoring_duplicates

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a row still "sending" after this was cut off mid-send
WORKER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DrainReport:
    """Counts of what one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    dropped: int = 0
    recovered: int = 0

    def add(self, other: DrainReport) -> None:
        """Fold another report into this one."""
        for name in ("sent", "retried", "failed", "suppressed", "dropped", "recovered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def recover_stale(session: Session, now: datetime) -> int:
    """Put rows whose sender died mid-send back in line, marked to be checked before resending."""
    stale = session.scalars(
        for_update_skip_locked(
            select(OutboxMessage).where(
                OutboxMessage.state == "sending", OutboxMessage.claimed_at < now - LEASE
            ),
            session,
        )
    ).all()
    for row in stale:
        row.state, row.maybe_sent, row.claimed_by = "pending", True, None
        audit.record(session, "send.recovered", now=now, subject_type="outbox", subject_id=row.id)
    return len(stale)


def claim(
    session: Session, now: datetime, limit: int, *, ids: list[int] | None = None
) -> tuple[list[OutboxMessage], DrainReport]:
    """Claim up to `limit` due rows (or exactly `ids`), settling expired and opted-out ones."""
    report = DrainReport()
    stmt = select(OutboxMessage).where(
        OutboxMessage.state == "pending", OutboxMessage.not_before <= now
    )
    if ids is not None:  # even named rows wait out a retry's backoff
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    stmt = stmt.order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
    rows = session.scalars(for_update_skip_locked(stmt.limit(limit), session)).all()
    phones = {r.to_phone for r in rows}
    opted_out = (
        set(
            session.scalars(
                select(PhoneNumber.phone).where(
                    PhoneNumber.phone.in_(phones), PhoneNumber.opted_out
                )
            )
        )
        if phones
        else set()
    )
    claimed = []
    for row in rows:
        if row.expires_at is not None and row.expires_at <= now:
            row.state, row.error = "dropped", "expired before it could be sent"
            report.dropped += 1
        elif row.to_phone in opted_out:
            row.state, row.error = "suppressed", "recipient opted out"
            report.suppressed += 1
        else:
            row.state, row.claimed_at, row.claimed_by = "sending", now, WORKER
            row.attempts += 1
            claimed.append(row)
    return claimed, report


def reserve_slots(session: Session, count: int, rate: float) -> list[float]:
    """Reserve `count` send times (epoch seconds) at `rate`/s, shared by every sender process."""
    if count == 0:
        return []
    wall = datetime.now(UTC)
    # Two senders starting on a fresh database must not both INSERT the single pacing row.
    insert_ignoring_duplicates(
        session, SendPacing.__table__, [{"id": 1, "next_slot_at": wall}], key=["id"]
    )
    pacing = session.scalars(
        select(SendPacing).where(SendPacing.id == 1).with_for_update()
    ).one()
    start = max(pacing.next_slot_at, wall)
    step = 1.0 / rate
    slots = [start.timestamp() + i * step for i in range(count)]
    pacing.next_slot_at = start + timedelta(seconds=step * count)
    return slots


def _status_callback(runtime: Runtime) -> str | None:
    base = runtime.settings.public_base_url
    return f"{base.rstrip('/')}/twilio/status" if base else None


def deliver(runtime: Runtime, row: OutboxMessage, now: datetime) -> DrainReport:
    """Send one claimed row and record what happened; never raises for a send failure."""
    report = DrainReport()
    address = to_address(row.to_phone, row.channel)
    sid, error = None, None
    with runtime.Session() as session:
        # Pacing may have kept this row waiting; a STOP that arrived meanwhile still wins.
        if is_opted_out(session, row.to_phone, wait=True):  # waits out a STOP being handled
            return _suppress(runtime, row.id)
    try:
        if row.maybe_sent:
            sid = runtime.transport.find_sent(address, row.body, row.created_at)
            if sid is not None and _sid_taken(runtime, sid, row.id):
                sid = None  # an earlier text with the same wording, not this one
        if sid is None:
            sid = runtime.transport.send(
                address, row.body, status_callback=_status_callback(runtime)
            )
    except SendError as exc:
        error = exc
    with runtime.Session() as session, session.begin():
        fresh = session.get(OutboxMessage, row.id)
        if error is None:
            _mark_sent(session, fresh, sid, now)
            report.sent += 1
        else:
            _settle_failure(runtime, session, fresh, error, now, report)
    return report


def _suppress(runtime: Runtime, row_id: int) -> DrainReport:
    with runtime.Session() as session, session.begin():
        fresh = session.get(OutboxMessage, row_id)
        fresh.state, fresh.error, fresh.claimed_by = "suppressed", "recipient opted out", None
    return DrainReport(suppressed=1)


def _sid_taken(runtime: Runtime, sid: str, row_id: int) -> bool:
    with runtime.Session() as session:
        owner = session.scalar(select(OutboxMessage.id).where(OutboxMessage.twilio_sid == sid))
    return owner is not None and owner != row_id


def _mark_sent(session: Session, row: OutboxMessage, sid: str, now: datetime) -> None:
    row.state, row.twilio_sid, row.sent_at = "sent", sid, now
    row.maybe_sent, row.error, row.error_code = False, None, None
    session.add(
        MessageLog(
            direction="out",
            channel=row.channel,
            phone=row.to_phone,
            party=row.party,
            participant_id=row.participant_id,
            twilio_sid=sid,
            outbox_id=row.id,
            body=row.body,
            intent=row.kind,
            state="sent",
            created_at=now,
        )
    )
    log.info("sent outbox %s (%s) to %s", row.id, row.kind, mask(row.to_phone))


def _settle_failure(
    runtime: Runtime,
    session: Session,
    row: OutboxMessage,
    error: SendError,
    now: datetime,
    report: DrainReport,
) -> None:
    action = classify_error(error.code, error.status, error.transient)
    row.error_code, row.error = error.code, str(error)[:300]
    row.maybe_sent = error.transient  # a timeout may still have reached Twilio
    retrying = action.retry and row.attempts < runtime.settings.max_send_attempts
    # Errors that are retried first (30003 unreachable) are flagged only once retries run out.
    if action.opt_out or (action.flag and not retrying):
        flag_recipient(session, row, action, error.code, now, "send.flagged")
    if retrying:
        row.state, row.claimed_by = "pending", None
        row.not_before = now + backoff(row.attempts)
        report.retried += 1
        log.info("outbox %s will retry (code %s, attempt %s)", row.id, error.code, row.attempts)
    else:
        row.state = "failed"
        report.failed += 1
        log.warning("outbox %s failed for good (code %s)", row.id, error.code)


def drain(
    runtime: Runtime, *, now: datetime | None = None, limit: int | None = None, paced: bool = True
) -> DrainReport:
    """Send every due row (as of `now`, default the runtime clock) until none are left."""
    report = DrainReport()
    rate = runtime.settings.send_rate
    batch = max(1, math.ceil(rate * 2))
    last_send: float | None = None
    # Twilio answers in 100-200 ms, so one request at a time would cap a sender at 5-10 texts a
    # second whatever the configured rate: up to IOPBOT_SEND_CONCURRENCY requests overlap, each
    # still started at its paced slot.
    concurrency = runtime.settings.send_concurrency
    in_flight: deque[Future[DrainReport]] = deque()
    with ThreadPoolExecutor(concurrency, "send") as pool:
        while limit is None or report.sent + report.failed + report.retried < limit:
            at = now or runtime.now()
            with runtime.Session() as session, session.begin():
                report.recovered += recover_stale(session, at)
                rows, settled = claim(session, at, batch)
                slots = reserve_slots(session, len(rows), rate) if paced else [0.0] * len(rows)
            report.add(settled)
            if not rows and not (settled.dropped or settled.suppressed):
                break
            for row, slot in zip(rows, slots, strict=True):
                # A sender woken late (a busy machine, a lock wait) must not catch up in a burst.
                due = slot if last_send is None or not paced else max(slot, last_send + 1 / rate)
                while len(in_flight) >= concurrency and not in_flight[0].done():
                    report.add(in_flight.popleft().result())  # Twilio is slower than the rate
                wait = due - time.time()
                if wait > 0:
                    time.sleep(wait)
                last_send = time.time()
                in_flight.append(pool.submit(deliver, runtime, row, at))
                while in_flight and in_flight[0].done():
                    report.add(in_flight.popleft().result())
            # The next batch is claimed while the last sends are still in flight, so batch
            # boundaries cost no gap; the `limit` check only counts finished sends.
        while in_flight:
            report.add(in_flight.popleft().result())
    return report


def send_now(runtime: Runtime, ids: list[int]) -> DrainReport:
    """Send specific rows at once, unpaced (crisis pages from the web process)."""
    report = DrainReport()
    if not ids:
        return report
    at = runtime.now()
    with runtime.Session() as session, session.begin():
        rows, settled = claim(session, at, len(ids), ids=ids)
    report.add(settled)
    for row in rows:
        report.add(deliver(runtime, row, at))
    return report
