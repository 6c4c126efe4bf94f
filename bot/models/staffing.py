"""On-call duty (a weekly rota plus one-off overrides), former phone numbers, account errors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot import tables
from bot.models.base import Base, UTCDateTime


class OnCallShift(Base):
    """One weekly on-call slot: a counselor, a weekday and a local time range (clinic zone).

    `ends` may be earlier than `starts` (an overnight shift runs into the next day);
    starts == ends means the whole day. Table: `bot.tables.oncall_shifts`.
    """

    __table__ = tables.oncall_shifts

    id: Mapped[int]
    counselor_id: Mapped[int]
    weekday: Mapped[int]  # 0 = Monday ... 6 = Sunday
    starts: Mapped[str]  # HH:MM local
    ends: Mapped[str]  # HH:MM local
    created_at: Mapped[datetime]


class OnCallOverride(Base):
    """A one-off cover: this counselor is on call from `starts_at` to `ends_at` (instants).

    Table: `bot.tables.oncall_overrides`.
    """

    __table__ = tables.oncall_overrides

    id: Mapped[int]
    counselor_id: Mapped[int]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str | None]
    created_at: Mapped[datetime]


class FormerPhone(Base):
    """A number a participant used before they changed it (kept for history and audit)."""

    __tablename__ = "former_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountProblem(Base):
    """An account-level Twilio error (all sending stops); one row per code, so admins are
    told once however many processes see it."""

    __tablename__ = "account_problems"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(60))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
