"""The rows one inbound text leaves: its log entry, and the replies answered inline (TwiML).

The replies go into the outbox (state "replied": the outbox stays the record of everything
sent) with one log row each. Written together at the end of the turn in as few statements as
the dialect allows: one on PostgreSQL (a data-modifying CTE), two on SQLite.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    bindparam,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.models import MessageLog, OutboxMessage
from bot.outbox import PRIORITY_REPLY
from bot.services.inbound.party import InboundMessage, Party

LOG, OUTBOX = MessageLog.__table__, OutboxMessage.__table__


def _inbound_values(message: InboundMessage, party: Party | None, **extra) -> dict:
    return {
        "direction": "in", "channel": message.channel, "phone": message.phone,
        "party": party.kind if party else "unknown",
        "participant_id": party.participant.id if party and party.participant else None,
        "counselor_id": party.counselor.id if party and party.counselor else None,
        "twilio_sid": message.sid, "body": message.body, "state": "received",
        "created_at": message.received_at, **extra,
    }


def store_inbound(
    session: Session, message: InboundMessage, party: Party | None = None
) -> MessageLog | None:
    """Log the text now (a handler needs its id); None when this MessageSid was already
    received (a replayed webhook). One round trip: INSERT ... ON CONFLICT DO NOTHING RETURNING."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(MessageLog).values(**_inbound_values(message, party))
        .on_conflict_do_nothing(index_elements=["twilio_sid"])
        .returning(MessageLog)
    )
    return session.scalars(stmt).one_or_none()


def finish_inbound(
    session: Session, message: InboundMessage, party: Party, *, entry: MessageLog | None,
    intent: str | None, replies: Sequence[str], now: datetime,
) -> None:
    """Record the text as handled (`entry` if it was logged already) and its inline replies."""
    if entry is not None:
        entry.intent, entry.state = intent, "processed"  # flushed with the statements below
    inbound = None if entry is not None else _inbound_values(
        message, party, intent=intent, state="processed")
    outbox = [
        {"dedupe_key": f"reply:{message.sid}:{index}", "kind": "reply", "to_phone": message.phone,
         "channel": message.channel, "body": text,
         "participant_id": party.participant.id if party.participant else None,
         "priority": PRIORITY_REPLY, "state": "replied", "party": party.kind, "not_before": now,
         "attempts": 1, "maybe_sent": False, "sent_at": now, "created_at": now}
        for index, text in enumerate(replies)
    ]
    # Plain Core on the session's connection (the ORM's execute path costs more than these
    # statements); whatever the handlers left pending is flushed first, as autoflush would.
    session.flush()
    connection = session.connection()
    if not outbox:
        if inbound is not None:
            connection.execute(_insert_log(), inbound)
        return
    if connection.dialect.name == "postgresql":
        _write_in_one(connection, inbound, outbox)
    else:
        _write_in_two(connection, inbound, outbox)


@functools.cache
def _insert_log():
    """INSERT INTO message_log, its values bound per execution (built once per process)."""
    return LOG.insert()


def _reply_log(row: dict, outbox_id) -> dict:
    return {
        "direction": "out", "channel": row["channel"], "phone": row["to_phone"],
        "party": row["party"], "participant_id": row["participant_id"], "counselor_id": None,
        "twilio_sid": None, "outbox_id": outbox_id, "body": row["body"], "intent": "reply",
        "state": "replied", "created_at": row["created_at"],
    }


def _write_in_two(connection: Connection, inbound: dict | None, outbox: list[dict]) -> None:
    """SQLite: the outbox rows (RETURNING their ids), then every log row in one INSERT."""
    ids = dict(connection.execute(
        OUTBOX.insert().values(outbox).returning(OUTBOX.c.dedupe_key, OUTBOX.c.id)).all())
    logs = [_reply_log(row, ids[row["dedupe_key"]]) for row in outbox]
    if inbound is not None:  # the text first, so its id precedes its replies'
        logs.insert(0, {**inbound, "outbox_id": None})
    connection.execute(LOG.insert().values(logs))


_NAMES = ("direction", "channel", "phone", "party", "participant_id", "counselor_id",
          "twilio_sid", "outbox_id", "body", "intent", "state", "created_at")


def _write_in_one(connection: Connection, inbound: dict | None, outbox: list[dict]) -> None:
    """PostgreSQL: INSERT the outbox rows in a CTE and the log rows from what it returns."""
    params = {f"o{i}_{key}": value for i, row in enumerate(outbox) for key, value in row.items()}
    if inbound is not None:
        params.update({f"in_{name}": inbound.get(name) for name in _NAMES})
    connection.execute(_one_statement(len(outbox), tuple(outbox[0]), inbound is not None),
                       params)


@functools.cache
def _one_statement(replies: int, keys: tuple[str, ...], with_inbound: bool):
    """The CTE for `replies` outbox rows (and the text's own row), built once per shape:
    building it costs more than running it. Values are bound as o<i>_<column> and in_<column>.

    The outbox rows come from SELECTs of bound values (UNION ALL, in reply order), not a
    multi-row VALUES: SQLAlchemy never caches the compiled form of a multi-row VALUES, so that
    statement was compiled again for every text.
    """
    rows_in = [select(*(bindparam(f"o{i}_{key}", type_=OUTBOX.c[key].type).label(key)
                        for key in keys)) for i in range(replies)]
    source = rows_in[0] if replies == 1 else union_all(*rows_in)
    sent = OUTBOX.insert().from_select(list(keys), source).returning(
        *(OUTBOX.c[name] for name in ("id", "channel", "to_phone", "party", "participant_id",
                                      "body", "created_at"))).cte("sent")
    out = {**_reply_log({"channel": sent.c.channel, "to_phone": sent.c.to_phone,
                         "party": sent.c.party, "participant_id": sent.c.participant_id,
                         "body": sent.c.body, "created_at": sent.c.created_at}, sent.c.id)}
    rows = select(*(_column(out[name], name) for name in _NAMES), sent.c.id.label("ord"))
    if with_inbound:  # the text first, so its id precedes its replies'
        text = select(*(null().cast(LOG.c[name].type).label(name) if name == "outbox_id"
                        else bindparam(f"in_{name}", type_=LOG.c[name].type).label(name)
                        for name in _NAMES), literal(0, Integer).label("ord"))
        rows = union_all(text, rows)
    rows = rows.subquery("rows")
    return (
        LOG.insert()
        .from_select(list(_NAMES), select(*(rows.c[name] for name in _NAMES))
                     .order_by(rows.c.ord))
        .add_cte(sent)
    )


def _column(value, name: str):
    """A SELECT column for log column `name`: a CTE column, or a typed literal."""
    if isinstance(value, ColumnElement):
        return value.label(name)
    if value is None:
        return null().cast(LOG.c[name].type).label(name)
    return literal(value, LOG.c[name].type).label(name)
