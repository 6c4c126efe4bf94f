"""Encrypted backups: `iopbot export` writes every table, `iopbot import` loads them.

File format (version 1):

    line 1   JSON header in clear: {"format": "iopbot-export", "version": 1, "kdf": "scrypt",
             "n", "r", "p", "salt", "nonce"} (salt and nonce base64)
    rest     AES-256-GCM ciphertext (key from scrypt(passphrase, salt); the header line is
             authenticated as associated data) of a gzip-compressed JSON-lines document:
               {"iopbot_export": 1, "revision": [...], "created_at": ISO, "tables": [...]}
               {"table": NAME, "row": {column: value}}   one line per row, parents first

Values are JSON; timestamps, dates and times are ISO-8601 strings; bytes are base64.
Tables come from the SQLAlchemy metadata, so every table the models define is included.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Connection, Engine, Integer, Table, func, select, text
from sqlalchemy.types import TypeDecorator

MAGIC = "iopbot-export"
VERSION = 1
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MIN_PASSPHRASE = 12
BATCH = 1000


class BackupError(ValueError):
    """A backup cannot be written or read; the message says why in one line."""


@dataclass(frozen=True)
class Summary:
    """What an export wrote or an import loaded: rows per table."""

    revision: list[str]
    rows: dict[str, int]

    def line(self) -> str:
        """`N rows in M tables at revision R`."""
        total = sum(self.rows.values())
        return f"{total} rows in {len(self.rows)} tables at revision {', '.join(self.revision)}"


def check_passphrase(passphrase: str | None) -> str:
    """The passphrase, or BackupError when it is missing or too short."""
    if not passphrase:
        raise BackupError("set IOPBOT_EXPORT_PASSPHRASE: backups are never written in clear text")
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"IOPBOT_EXPORT_PASSPHRASE must be at least {MIN_PASSPHRASE} characters")
    return passphrase


def tables() -> list[Table]:
    """Every table the models define, parents before children."""
    import bot.models  # noqa: F401  (registers every table)
    from bot.models import Base

    return list(Base.metadata.sorted_tables)


def schema_revision(conn: Connection) -> list[str]:
    """The Alembic revision(s) the database is at."""
    from alembic.runtime.migration import MigrationContext

    return sorted(MigrationContext.configure(conn).get_current_heads())


def export_bytes(engine: Engine, passphrase: str, now: datetime) -> tuple[bytes, Summary]:
    """A consistent snapshot of every table, encrypted with `passphrase`."""
    passphrase = check_passphrase(passphrase)
    buffer = io.BytesIO()
    rows: dict[str, int] = {}
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, _snapshot(engine) as conn:
        revision = schema_revision(conn)
        if not revision:
            raise BackupError("the database has no schema: run `iopbot db upgrade` first")
        listed = tables()
        header = {"iopbot_export": VERSION, "revision": revision, "created_at": now.isoformat(),
                  "tables": [t.name for t in listed]}
        gz.write(_line(header))
        for table in listed:
            count = 0
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)).mappings():
                gz.write(_line({"table": table.name, "row": {k: _dump(v) for k, v in row.items()}}))
                count += 1
            rows[table.name] = count
    return encrypt(buffer.getvalue(), passphrase), Summary(revision, rows)


def import_bytes(engine: Engine, data: bytes, passphrase: str) -> Summary:
    """Load an export into `engine`'s empty database at the same schema revision."""
    plain = decrypt(data, check_passphrase(passphrase))
    lines = _lines(plain)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("iopbot_export") != VERSION:
        raise BackupError("not an iopbot export (or from an unknown version)")
    by_name = {t.name: t for t in tables()}
    unknown = [name for name in header.get("tables", []) if name not in by_name]
    if unknown:
        raise BackupError(f"the export has tables this version does not know: {', '.join(unknown)}")
    rows: dict[str, int] = {name: 0 for name in header.get("tables", [])}
    with engine.begin() as conn:
        revision = schema_revision(conn)
        if not revision:
            raise BackupError("the database has no schema: run `iopbot db upgrade` first")
        if revision != header["revision"]:
            raise BackupError(
                f"the export is at revision {', '.join(header['revision'])}, this database at "
                f"{', '.join(revision)}: import with the iopbot version that wrote it"
            )
        filled = [t.name for t in by_name.values()
                  if conn.scalar(select(func.count()).select_from(t))]
        if filled:
            raise BackupError(
                f"the database is not empty ({', '.join(filled[:3])}...): import only into a "
                "new, migrated database"
            )
        pending: list[dict] = []
        current: Table | None = None
        for item in lines:
            table = by_name[item["table"]]
            if current is not None and (table is not current or len(pending) >= BATCH):
                conn.execute(current.insert(), pending)
                pending = []
            current = table
            pending.append({k: _load(table.c[k], v) for k, v in item["row"].items()})
            rows[table.name] = rows.get(table.name, 0) + 1
        if current is not None and pending:
            conn.execute(current.insert(), pending)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, list(by_name.values()))
    return Summary(revision, rows)


def encrypt(plain: bytes, passphrase: str) -> bytes:
    """Header line + AES-GCM ciphertext under a scrypt key."""
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {"format": MAGIC, "version": VERSION, "kdf": "scrypt", **SCRYPT,
              "salt": base64.b64encode(salt).decode(), "nonce": base64.b64encode(nonce).decode()}
    head = json.dumps(header, sort_keys=True).encode() + b"\n"
    key = _key(passphrase, salt, SCRYPT)
    return head + AESGCM(key).encrypt(nonce, plain, head)


def decrypt(data: bytes, passphrase: str) -> bytes:
    """The plain payload, or BackupError for a foreign file or a wrong passphrase."""
    head, newline, body = data.partition(b"\n")
    try:
        header = json.loads(head)
        if header.get("format") != MAGIC or header.get("version") != VERSION:
            raise ValueError
        params = {k: int(header[k]) for k in ("n", "r", "p")}
        salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError("not an iopbot export file") from None
    try:
        return AESGCM(_key(passphrase, salt, params)).decrypt(nonce, body, head + newline)
    except (InvalidTag, ValueError):
        raise BackupError("wrong IOPBOT_EXPORT_PASSPHRASE, or the file is damaged") from None


def _key(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    return Scrypt(salt=salt, length=32, **params).derive(passphrase.encode("utf-8"))


class _snapshot:  # noqa: N801  (used as a context manager)
    """A read transaction that sees one instant of every table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Connection:
        options = {}
        if self.engine.dialect.name == "postgresql":
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        self.conn = self.engine.connect().execution_options(**options)
        self.transaction = self.conn.begin()  # SQLite: BEGIN IMMEDIATE holds writers off
        return self.conn

    def __exit__(self, *exc_info: object) -> None:
        self.transaction.rollback()
        self.conn.close()


def _reset_sequences(conn: Connection, listed: list[Table]) -> None:
    """Move each serial primary key's sequence past the imported ids."""
    for table in listed:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name})
            if sequence is None:
                continue
            highest = conn.scalar(select(func.max(column)))
            if highest is not None:
                conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})


def _line(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _lines(plain: bytes) -> Iterator[dict]:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(plain)) as gz:
            for raw in gz:
                yield json.loads(raw)
    except (OSError, ValueError):
        raise BackupError("the export's contents are damaged") from None


def _dump(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _load(column, value: object) -> object:
    if value is None:
        return None
    kind_of = column.type
    if isinstance(kind_of, TypeDecorator):  # e.g. UTCDateTime: decode as what it stores
        kind_of = kind_of.impl_instance
    try:
        kind = kind_of.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is time:
        return time.fromisoformat(value)
    if kind is bytes:
        return base64.b64decode(value)
    if kind is Decimal:
        return Decimal(value)
    return value
