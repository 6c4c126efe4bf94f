"""The daily inbox digest: one short text to each counselor whose inbox holds unread texts.

At most one a day per counselor (the outbox dedupe key carries the clinic's local date), sent
only inside texting hours in the clinic's time zone, and lock-screen safe: a count, no names.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Counselor, OutboxMessage
from bot.outbox import PRIORITY_SCHEDULED, enqueue
from bot.queries.inbox import waiting_counts
from bot.rules.timing import QuietHours, local_date
from bot.runtime import Runtime


def digest_key(counselor_id: int, day) -> str:
    """The outbox dedupe key of one counselor's digest for one clinic-local day."""
    return f"inbox.digest:{counselor_id}:{day.isoformat()}"


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Queue today's digest for each active counselor with waiting texts who has none yet."""
    program = runtime.program
    tz = ZoneInfo(program.timezone)
    quiet = QuietHours(program.quiet_start, program.quiet_end)
    if not quiet.inside(now.astimezone(tz).time()):
        return {}
    day = local_date(now, tz)
    keys = {cid: digest_key(cid, day) for cid in session.scalars(
        select(Counselor.id).where(Counselor.active))}
    done = set(session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))))
    todo = {cid for cid, key in keys.items() if key not in done}
    if not todo:
        return {}
    counts = {cid: n for cid, n in waiting_counts(session).items() if cid in todo and n}
    phones = dict(session.execute(
        select(Counselor.id, Counselor.phone).where(Counselor.id.in_(list(counts)))).all())
    queued = 0
    for cid, count in sorted(counts.items()):
        body = program.text("inbox.digest.one" if count == 1 else "inbox.digest.many",
                            program.default_language, count=count)
        row = enqueue(
            session, to=phones[cid], body=body, kind="staff.inbox_digest", now=now,
            dedupe_key=keys[cid], priority=PRIORITY_SCHEDULED, party="counselor",
            expires_at=quiet.closing(now, tz),
        )
        queued += row is not None
    return {"digests": queued} if queued else {}
