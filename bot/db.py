"""Engine and session factory; SQLite is tuned so that several processes can share it."""

from __future__ import annotations

import weakref

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

# Every engine this process made, so a forked worker can drop the connections it inherited.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(database_url: str, **kwargs) -> Engine:
    """Create an engine for `database_url` (SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE)."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(database_url, **kwargs)
    _ENGINES.add(engine)
    return engine


def dispose_after_fork() -> None:
    """In a forked child: forget the parent's pooled connections without closing them.

    `close=False` leaves the parent's sockets alone (closing them here would break the
    parent's sessions); the child opens its own on first use.
    """
    for engine in list(_ENGINES):
        engine.dispose(close=False)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the lifecycle: `with factory() as s, s.begin():`."""
    return sessionmaker(engine, expire_on_commit=False)


def database_answers(engine: Engine) -> bool:
    """True when a trivial query succeeds (for /healthz)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not healthy"
        return False


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN until the first write, so two processes
    # can both read a row as "pending" and then both claim it. We take the write lock up front
    # (BEGIN IMMEDIATE): SQLite has one writer at a time anyway, and WAL keeps readers unblocked.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
