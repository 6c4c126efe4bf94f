"""Small dialect-aware SQL helpers shared by services and sweeps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    session: Session, table: Table, rows: Iterable[Mapping[str, Any]] | Select, key: list[str]
) -> int:
    """INSERT rows (a list or an INSERT ... SELECT), skipping ones whose `key` already exists."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    if isinstance(rows, Select):
        stmt = module.insert(table).from_select([c.name for c in rows.selected_columns], rows)
    else:
        rows = list(rows)
        if not rows:
            return 0
        stmt = module.insert(table).values(rows)
    # SQLAlchemy 2.1 reports rowcount for INSERT only when asked to (-1 on psycopg otherwise).
    result = session.execute(
        stmt.on_conflict_do_nothing(index_elements=key),
        execution_options={"preserve_rowcount": True},
    )
    return max(result.rowcount or 0, 0)


def for_update_skip_locked(stmt: Select, session: Session) -> Select:
    """Row-claim a SELECT on PostgreSQL; SQLite already holds the write lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def insert_or_update(
    session: Session, table: Table, row: Mapping[str, Any], key: list[str],
    set_: Mapping[str, Any], *, where=None, returning: list | None = None,
):
    """INSERT `row`, or on a `key` conflict UPDATE the existing row with `set_` (optionally only
    `where` it holds); one round trip, race-free, and on PostgreSQL the row stays locked until
    the transaction ends (even when `where` leaves it unchanged). Returns the RETURNING row.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(table).values(dict(row))
    stmt = stmt.on_conflict_do_update(index_elements=key, set_=dict(set_), where=where)
    if returning:
        return session.execute(stmt.returning(*returning)).one_or_none()
    session.execute(stmt)
    return None
