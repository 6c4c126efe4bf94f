"""The schema's shared parts, and the tables that commands read without the ORM.

Importing this module imports SQLAlchemy Core only. The ORM (`bot.models`) and the 32 model
classes cost a command about a quarter of a second before its first query, so the commands
that only list rows (`iopbot participant list`, `counselor list`, `group list`, `alert list`,
`staff list`, `oncall show`) read these tables with Core statements (`bot.queries.listing`,
`bot.queries.oncall`). Each table here is defined
once: its model class in `bot.models` maps it (`__table__`), and every other table is declared
on the models, on the same `metadata`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Reject naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC (only for column defaults; services take `now`)."""
    return datetime.now(UTC)


def _id() -> Column:
    return Column("id", Integer, primary_key=True)


def _required(name: str, *args, **kwargs) -> Column:
    """A NOT NULL column (a `Mapped[T]` that is not Optional, in the models' terms)."""
    return Column(name, *args, nullable=False, **kwargs)


PARTICIPANT_STATUSES = ("active", "paused", "discharged")

# A staff member who gets alerts and acknowledges them by text (model: Counselor).
counselors = Table(
    "counselors", metadata,
    _id(),
    _required("name", String(120)),
    _required("phone", String(20), unique=True),
    _required("on_call", Boolean, default=False),
    _required("supervisor", Boolean, default=False),
    _required("active", Boolean, default=True),
    _required("created_at", UTCDateTime, default=utcnow),
)

# Someone in the program who gets reminders and check-ins (model: Participant).
participants = Table(
    "participants", metadata,
    _id(),
    _required("name", String(120)),  # the name they want to be called
    _required("phone", String(20), unique=True),
    _required("channel", String(10), default="sms"),  # sms | whatsapp
    _required("timezone", String(64)),
    _required("language", String(5), default="en"),
    Column("wording", String(20)),  # plain | warm | None (standard)
    _required("counselor_id", Integer, ForeignKey("counselors.id"), index=True),
    Column("group_id", Integer, ForeignKey("groups.id"), index=True),
    _required("status", String(12), default="active", index=True),
    Column("paused_until", Date),
    _required("checkin_time", String(5)),  # HH:MM local
    _required("consent_at", UTCDateTime),
    _required("consent_source", String(200)),
    _required("enrolled_at", UTCDateTime, default=utcnow),
    Column("discharged_at", UTCDateTime),
)

# What we know about a number: opted out of texts, or flagged undeliverable (PhoneNumber).
phone_numbers = Table(
    "phone_numbers", metadata,
    Column("phone", String(20), primary_key=True),
    _required("opted_out", Boolean, default=False),
    Column("opted_out_at", UTCDateTime),
    Column("opted_in_at", UTCDateTime),
    Column("flag", String(40)),  # invalid | landline | reassigned? ...
    Column("flag_code", Integer),
    Column("flagged_at", UTCDateTime),
)

# A therapy group with a weekly meeting pattern (model: Group).
groups = Table(
    "groups", metadata,
    _id(),
    _required("name", String(80), unique=True),
    _required("timezone", String(64)),
    Column("weekly", String(120)),  # "mon,wed,thu 18:00-21:00"
    Column("location", String(200)),
    _required("created_at", UTCDateTime, default=utcnow),
)

ALERT_LEVELS = ("crisis", "urgent", "concern")
ALERT_STATES = ("open", "acknowledged", "resolved")
UNRESOLVED = "state <> 'resolved'"  # the partial indexes' conditions (bot.models.alerts)
RESOLVED = "state = 'resolved'"

# Something a counselor must look at: a concerning reply, missed check-ins, an absence (Alert).
alerts = Table(
    "alerts", metadata,
    _id(),
    _required("dedupe_key", String(200), unique=True),
    # Both empty for crisis language from an unknown number (then `phone` says who texted).
    Column("participant_id", Integer, ForeignKey("participants.id"), index=True),
    Column("counselor_id", Integer, ForeignKey("counselors.id"), index=True),
    Column("phone", String(20)),
    _required("level", String(10)),  # crisis | urgent | concern
    _required("kind", String(30)),  # triage | missed_checkins | absence | ...
    _required("reasons", JSON, default=list),
    Column("summary", String(120)),  # the few words staff texts carry
    Column("message_log_id", Integer, ForeignKey("message_log.id")),
    _required("state", String(14), default="open", index=True),
    _required("step", Integer, default=0),  # position on the escalation ladder
    Column("deadline_at", UTCDateTime, index=True),
    Column("acknowledged_by", Integer, ForeignKey("counselors.id")),
    Column("acknowledged_at", UTCDateTime),
    Column("resolved_by", Integer, ForeignKey("counselors.id")),
    Column("resolved_at", UTCDateTime),
    Column("note", Text),
    # Set when the step was taken in the console: the signed-in staff account.
    Column("acknowledged_by_staff_id", Integer, ForeignKey("staff_accounts.id")),
    Column("resolved_by_staff_id", Integer, ForeignKey("staff_accounts.id")),
    _required("created_at", UTCDateTime, default=utcnow),
    # Its partial indexes (the console's queue, the access rule) are added by
    # `bot.models.alerts`: a `postgresql_where` makes SQLAlchemy import the PostgreSQL dialect,
    # which a command listing rows from SQLite would otherwise pay for.
)

# One person who signs in to the console (HIPAA unique user identification) (StaffAccount).
staff_accounts = Table(
    "staff_accounts", metadata,
    _id(),
    _required("email", String(254), unique=True),  # stored lower-case
    _required("name", String(120)),
    _required("role", String(12)),  # counselor | supervisor | admin
    Column("counselor_id", Integer, ForeignKey("counselors.id"), index=True),
    Column("password_hash", String(200)),  # argon2id; None until set
    Column("totp_secret", String(64)),  # base32; None: not enrolled
    Column("totp_last_step", Integer),  # a code is good only once
    Column("totp_pending", String(64)),  # shown, not yet confirmed
    _required("active", Boolean, default=True),
    _required("failed_attempts", Integer, default=0),
    Column("locked_until", UTCDateTime),
    Column("password_changed_at", UTCDateTime),
    # Bumped on password change or disable: every session of an older generation is void.
    _required("generation", Integer, default=1),
    Column("last_sign_in_at", UTCDateTime),
    _required("created_at", UTCDateTime, default=utcnow),
)

# One weekly on-call slot: a counselor, a weekday and a local time range (clinic zone); `ends`
# may be earlier than `starts` (an overnight shift runs into the next day); starts == ends
# means the whole day (model: OnCallShift).
oncall_shifts = Table(
    "oncall_shifts", metadata,
    _id(),
    _required("counselor_id", Integer, ForeignKey("counselors.id"), index=True),
    _required("weekday", Integer),  # 0 = Monday ... 6 = Sunday
    _required("starts", String(5)),  # HH:MM local
    _required("ends", String(5)),  # HH:MM local
    _required("created_at", UTCDateTime, default=utcnow),
)

# A one-off cover: this counselor is on call from `starts_at` to `ends_at` (OnCallOverride).
oncall_overrides = Table(
    "oncall_overrides", metadata,
    _id(),
    _required("counselor_id", Integer, ForeignKey("counselors.id"), index=True),
    _required("starts_at", UTCDateTime, index=True),
    _required("ends_at", UTCDateTime, index=True),
    Column("note", String(200)),
    _required("created_at", UTCDateTime, default=utcnow),
)


def first_name_initial(name: str, participant_id: int) -> str:
    """'Alex R.' style short reference used in staff alerts (minimum necessary)."""
    parts = name.split()
    if len(parts) > 1:
        return f"{parts[0]} {parts[-1][0]}."
    return parts[0] if parts else f"#{participant_id}"
