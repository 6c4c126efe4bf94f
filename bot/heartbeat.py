"""Sender liveness: who holds claimed outbox rows, and whether it is still alive.

Every process that claims outbox rows (the clock, `iopbot dispatch`, a web worker's page
sender) has a row in `senders`. Its beat is written in the transaction that claims rows and
then every HEARTBEAT by a daemon thread while it still holds claimed rows. A row left
"sending" by a sender that is dead is put back in line at once, not after the 5-minute lease:
dead means its process is gone (same host: the pid no longer exists) or its beat is older than
DEAD_AFTER (another host, or a frozen process).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.models.messaging import Sender
from bot.runtime import Runtime
from bot.sql import insert_ignoring_duplicates

log = logging.getLogger(__name__)
HEARTBEAT = 5.0  # seconds between beats while a sender holds claimed rows
# Four beats: a live sender is not taken for dead over a slow database write or a busy machine
# (that would let its in-flight request land after another sender resent the row).
DEAD_AFTER = timedelta(seconds=20)
FORGET_AFTER = timedelta(days=1)  # a sender silent this long is forgotten (its lease is long over)


def sender_name() -> str:
    """This process's sender name (host:pid); computed per call, so forked workers differ."""
    return f"{socket.gethostname()}:{os.getpid()}"


def wall() -> datetime:
    """The real time: liveness is about processes, never about a simulated `--at` instant."""
    return datetime.now(UTC)


def beat(session: Session, name: str | None = None) -> None:
    """Record that sender `name` (default: this process) is alive now."""
    name = name or sender_name()
    at = wall()
    # One statement once this sender has a row (every beat after a process's first).
    if session.execute(
        update(Sender).where(Sender.name == name).values(beat_at=at),
        execution_options={"synchronize_session": False},
    ).rowcount:
        return
    if insert_ignoring_duplicates(
        session, Sender.__table__, [{"name": name, "beat_at": at}], key=["name"]
    ):  # a new process: forget the long-gone ones, so the table stays a handful of rows
        session.execute(delete(Sender).where(Sender.beat_at < at - FORGET_AFTER))
    else:  # another transaction inserted it meanwhile
        session.execute(update(Sender).where(Sender.name == name).values(beat_at=at))


def _process_gone(name: str) -> bool:
    host, _, pid = name.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def dead_senders(session: Session, names: Iterable[str]) -> set[str]:
    """Which of `names` are known senders that are dead (gone from this host, or silent)."""
    names = {n for n in names if n}
    if not names:
        return set()
    query = select(Sender.name, Sender.beat_at).where(Sender.name.in_(names))
    beats = {name: at for name, at in session.execute(query)}
    cutoff = wall() - DEAD_AFTER
    # A claimant never registered (rows claimed before this table existed) waits for the lease.
    return {n for n, at in beats.items() if at < cutoff or _process_gone(n)}


@contextmanager
def holding(runtime: Runtime) -> Iterator[None]:
    """Keep this process's beat fresh (a daemon thread) while the block holds claimed rows."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(HEARTBEAT):
            try:
                with runtime.Session() as session, session.begin():
                    beat(session)
            except Exception:  # the next beat tries again; DEAD_AFTER allows for a few misses
                log.warning("sender heartbeat failed", exc_info=True)

    thread = threading.Thread(target=run, name="sender-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(HEARTBEAT)
