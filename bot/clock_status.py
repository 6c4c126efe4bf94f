"""The clock's heartbeat: recorded after every pass, read by `iopbot doctor`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.models.clock import ClockPass


def record_clock_pass(session: Session, now: datetime) -> None:
    """Store `now` as the end of the latest pass (one row, upserted: several clocks may race)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ClockPass).values(id=1, finished_at=now)
    session.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_={"finished_at": now})
    )


def last_clock_pass(session: Session) -> datetime | None:
    """When the clock last finished a pass, or None when it never has."""
    return session.scalar(select(ClockPass.finished_at).where(ClockPass.id == 1))
