"""Engine and session factory; SQLite is tuned so that several processes can share it."""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:  # the ORM is imported by the first session factory (`db upgrade` needs none)
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")
CONNECT_TIMEOUT = 5  # seconds, PostgreSQL only
# No pre-ping (a SELECT 1 before every checkout is one more round trip on every text): pooled
# connections are replaced after POOL_RECYCLE seconds, and a connection found dead mid-request
# is retried once on a fresh one (`once_more_if_disconnected`).
POOL_RECYCLE = 300
# Every engine this process made, so a forked worker can drop the connections it inherited.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(database_url: str, **kwargs) -> Engine:
    """Create an engine for `database_url` (SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE).

    Errors never carry PHI into a log: SQL parameters are hidden and the driver's own message
    is cut to its first line with quoted values and long digit runs removed.
    """
    kwargs.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
    else:
        kwargs.setdefault("pool_recycle", POOL_RECYCLE)
        if "connect_timeout" not in make_url(database_url).query:
            # A database that hangs must fail before Twilio's 15 s webhook timeout, so that a
            # crisis text still gets its 911/988 answer (handlers/webhook.py `not_stored`).
            kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", CONNECT_TIMEOUT)
        engine = create_engine(database_url, **kwargs)
    event.listen(engine, "handle_error", _scrub_driver_error)
    _ENGINES.add(engine)
    return engine


def once_more_if_disconnected(work: Callable[[], T]) -> T:
    """Run the transaction `work`; if the pooled connection turned out to be dead (the server
    restarted, a firewall dropped it) run it once more on a fresh connection.

    Safe because `work` is one whole transaction that was rolled back; a disconnect during its
    COMMIT may have committed, and then the retry finds its own rows (MessageSid, dedupe keys).
    """
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("database connection was dead (%s); retrying on a fresh one",
                    type(exc.orig).__name__)
        return work()


def dispose_after_fork() -> None:
    """In a forked child: forget the parent's pooled connections without closing them.

    `close=False` leaves the parent's sockets alone (closing them here would break the
    parent's sessions); the child opens its own on first use.
    """
    for engine in list(_ENGINES):
        engine.dispose(close=False)


# A quoted value in a driver message; kept only when it names a schema object (constraint
# "uq_x"), a server, a database or a role.
_QUOTED = re.compile(r"""(\b(?:constraint|relation|column|table|index|schema|at|database|role)"""
                     r"""\s+)?("[^"\n]*"|'[^'\n]*')""")
_DIGITS = re.compile(r"\+?\d[\d ()-]{5,}\d")


def scrub_driver_message(message: str) -> str:
    """The first line of a driver error, without quoted values or phone-like digits.

    PostgreSQL adds `DETAIL:  Key (phone)=(+1415...)` and `CONTEXT:` lines, and quotes the
    offending value in messages such as `invalid input syntax for type integer: "..."`.
    """
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    unquoted = _QUOTED.sub(lambda m: m.group(0) if m.group(1) else '"…"', first)
    return _DIGITS.sub("…", unquoted)


def _scrub_driver_error(context) -> None:
    original, wrapped = context.original_exception, context.sqlalchemy_exception
    try:
        raw = str(original)
        clean = scrub_driver_message(raw)
        original.args = (clean,)
        # SQLAlchemy has already formatted the driver's text into its own message.
        if wrapped is not None and wrapped.args and isinstance(wrapped.args[0], str):
            wrapped.args = (wrapped.args[0].replace(raw, clean), *wrapped.args[1:])
    except Exception:  # an exception type that refuses new args keeps its own
        pass


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the lifecycle: `with factory() as s, s.begin():`."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


class LazySessionFactory:
    """`make_session_factory(engine)`, made on the first session: a runtime built by a command
    that reads rows with Core statements (`bot.queries.listing`) never imports the ORM.

    Calling it, or any attribute of a `sessionmaker`, makes the real factory (once).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory: sessionmaker[Session] | None = None

    def get(self) -> sessionmaker[Session]:
        """The `sessionmaker`, made now if not yet."""
        if self._factory is None:
            self._factory = make_session_factory(self.engine)
        return self._factory

    def __call__(self, **kwargs) -> Session:
        return self.get()(**kwargs)

    def __getattr__(self, name: str):
        return getattr(self.get(), name)


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
