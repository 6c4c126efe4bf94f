"""The sender: claims due outbox rows, paces them, sends them and records the outcome.

Claims are row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite) so
any number of sender processes can drain one outbox without sending a row twice.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, Update, bindparam, or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.heartbeat import beat, dead_senders, holding, sender_name
from bot.models import MessageLog, OutboxMessage, PhoneNumber, SendPacing
from bot.outbox import flag_recipient, is_opted_out, retry_after
from bot.phones import mask, to_address
from bot.rules.send_errors import classify_error
from bot.runtime import Runtime
from bot.senders.base import SendError
from bot.services.delivery import note_account_error
from bot.sql import for_update_skip_locked, insert_ignoring_duplicates

log = logging.getLogger(__name__)
# A row still "sending" after this was cut off mid-send, even if its sender still beats (a hung
# thread); a row whose sender is dead (bot.heartbeat) is put back at once.
LEASE = timedelta(minutes=5)
# How far behind its reserved slot a sender may still start a send; later, it takes a new slot.
# In any T seconds all senders together start at most (T + LATE_SLOT) * rate + 1 sends.
LATE_SLOT = 0.25


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
    """Put rows whose sender died mid-send back in line, marked to be checked before resending.

    A row is given up when its sender is dead (gone or silent, see bot.heartbeat) or, whatever
    the sender, when it has been "sending" for longer than LEASE.
    """
    sending = session.execute(
        select(OutboxMessage.id, OutboxMessage.claimed_by, OutboxMessage.claimed_at)
        .where(OutboxMessage.state == "sending")
    ).all()
    dead = dead_senders(session, {claimant for _, claimant, _ in sending})
    ids = [i for i, claimant, at in sending
           if claimant in dead or (at is not None and at < now - LEASE)]
    if not ids:  # rows live senders hold are only read, never locked
        return 0
    stale = session.scalars(
        for_update_skip_locked(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                        OutboxMessage.state == "sending"), session
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
    claimed, me = [], sender_name()
    for row in rows:
        if row.expires_at is not None and row.expires_at <= now:
            row.state, row.error = "dropped", "expired before it could be sent"
            report.dropped += 1
        elif row.to_phone in opted_out:
            row.state, row.error = "suppressed", "recipient opted out"
            report.suppressed += 1
        else:
            row.state, row.claimed_at, row.claimed_by = "sending", now, me
            row.attempts += 1
            claimed.append(row)
    if claimed:
        beat(session, me)  # in the claim's transaction: a claimed row always has a live sender
    return claimed, report


@functools.cache
def _named_claim(dialect: str) -> tuple[Select, Update]:
    """`claim_named`'s two statements, built once per process with bound parameters:
    whether any of the named rows' numbers opted out (waiting, on PostgreSQL, for a request
    still deciding for that number, as `is_opted_out(wait=True)` does), and the claim."""
    ids, now = bindparam("ids", expanding=True), bindparam("now")
    numbers = select(OutboxMessage.to_phone).where(OutboxMessage.id.in_(ids))
    opted_out = select(PhoneNumber.opted_out).where(PhoneNumber.phone.in_(numbers))
    due = select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), OutboxMessage.state == "pending",
        OutboxMessage.not_before <= now,
        or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
    )
    if dialect == "postgresql":
        opted_out = opted_out.with_for_update(read=True)
        due = due.with_for_update(skip_locked=True)
    claim_due = (
        update(OutboxMessage).where(OutboxMessage.id.in_(due))
        .values(state="sending", claimed_at=now, claimed_by=bindparam("me"),
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
    )
    return opted_out, claim_due


def claim_named(
    session: Session, now: datetime, ids: list[int]
) -> tuple[list[OutboxMessage], DrainReport]:
    """Claim the due rows among `ids` for sending right away, their numbers' opt-outs checked.

    The crisis pages' claim: one statement reads the opt-outs (waiting out a STOP being handled
    for the number, so `deliver` need not look again), one claims the rows, one beats. A row
    that expired is left for the clock to drop; when a number opted out, `claim` settles it.
    """
    opted_out, claim_due = _named_claim(session.get_bind().dialect.name)
    if any(session.scalars(opted_out, {"ids": ids})):
        return claim(session, now, len(ids), ids=ids)  # suppresses those rows
    me = sender_name()
    rows = session.scalars(claim_due, {"ids": ids, "now": now, "me": me},
                           execution_options={"synchronize_session": False}).all()
    if rows:
        beat(session, me)  # in the claim's transaction: a claimed row always has a live sender
    return sorted(rows, key=lambda r: (r.priority, r.id)), DrainReport()


def reserve_slots(
    session: Session, count: int, rate: float, wall: float | None = None
) -> list[float]:
    """Reserve `count` send times (epoch seconds, from `wall` on) at `rate`/s, for every sender."""
    if count == 0:
        return []
    wall = datetime.fromtimestamp(time.time() if wall is None else wall, UTC)
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


def deliver(
    runtime: Runtime, row: OutboxMessage, now: datetime, *, opt_out_checked: bool = False
) -> DrainReport:
    """Send one claimed row and record what happened; never raises for a send failure.

    `opt_out_checked`: the claim itself just read the number's opt-out, waiting out a STOP
    being handled (`claim_named`), and nothing has kept the row waiting since.
    """
    report = DrainReport()
    address = to_address(row.to_phone, row.channel)
    sid, error = None, None
    if not opt_out_checked:
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
    wait = retry_after(action, row.attempts, runtime.settings.max_send_attempts)
    retrying = wait is not None
    # Errors that are retried first (30003 unreachable) are flagged only once retries run out.
    if action.opt_out or (action.flag and not retrying):
        flag_recipient(session, row, action, error.code, now, "send.flagged")
    note_account_error(session, runtime.program, error.code, now)  # once, for every process
    if retrying:
        row.state, row.claimed_by = "pending", None
        row.not_before = now + wait
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
    # Twilio answers in 100-200 ms, so one request at a time would cap a sender at 5-10 texts a
    # second whatever the configured rate: up to IOPBOT_SEND_CONCURRENCY requests overlap, each
    # still started at its paced slot.
    concurrency = runtime.settings.send_concurrency
    in_flight: deque[Future[DrainReport]] = deque()
    with holding(runtime), ThreadPoolExecutor(concurrency, "send") as pool:
        while limit is None or report.sent + report.failed + report.retried < limit:
            at = now or runtime.now()
            with runtime.Session() as session, session.begin():
                report.recovered += recover_stale(session, at)
                rows, settled = claim(session, at, batch)
                slots = (
                    reserve_slots(session, len(rows), rate, time.time())
                    if paced else [0.0] * len(rows)
                )
            report.add(settled)
            if not rows and not (settled.dropped or settled.suppressed):
                break
            for row, slot in zip(rows, slots, strict=True):
                while len(in_flight) >= concurrency and not in_flight[0].done():
                    report.add(in_flight.popleft().result())  # Twilio is slower than the rate
                if paced:
                    slot, start = _wait_for_slot(runtime, slot, rate)
                    log.debug("outbox %s: slot %.6f started %.6f", row.id, slot, start)
                in_flight.append(pool.submit(deliver, runtime, row, at))
                while in_flight and in_flight[0].done():
                    report.add(in_flight.popleft().result())
            # The next batch is claimed while the last sends are still in flight, so batch
            # boundaries cost no gap; the `limit` check only counts finished sends.
        while in_flight:
            report.add(in_flight.popleft().result())
    return report


def _wait_for_slot(runtime: Runtime, slot: float, rate: float) -> tuple[float, float]:
    """Sleep until `slot`, or a fresh one when this sender fell behind it; (slot, start).

    Slots are reserved a batch ahead. A sender that falls more than LATE_SLOT behind one (a
    busy machine, a lock wait, an oversleep, Twilio slower than the rate) must not send on it:
    that instant is gone, and sending now would crowd the slots other senders reserved since,
    exceeding the rate Twilio allows. The past slot is given up (a little lost throughput,
    never a burst).
    """
    while True:
        if time.time() > slot + LATE_SLOT:
            with runtime.Session() as session, session.begin():
                slot = reserve_slots(session, 1, rate, time.time())[0]
        start = time.time()
        if start >= slot:
            return slot, start
        time.sleep(slot - start)


def send_now(runtime: Runtime, ids: list[int]) -> DrainReport:
    """Send specific rows at once, unpaced (crisis pages from the web process)."""
    report = DrainReport()
    if not ids:
        return report
    at = runtime.now()
    with runtime.Session() as session, session.begin():
        rows, settled = claim_named(session, at, ids)
    report.add(settled)
    with holding(runtime):
        for n, row in enumerate(rows):
            # The claim read the first row's opt-out just now; a later row has waited for the
            # sends before it, so a STOP that came meanwhile is looked for again.
            report.add(deliver(runtime, row, at, opt_out_checked=n == 0))
    return report
