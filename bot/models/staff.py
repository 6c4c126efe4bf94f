"""Staff console accounts, their server-side sessions, sign-in failures and set-password links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot import tables
from bot.models.base import Base, UTCDateTime


class StaffAccount(Base):
    """One person who signs in to the console (HIPAA unique user identification).

    Table: `bot.tables.staff_accounts`.
    """

    __table__ = tables.staff_accounts

    id: Mapped[int]
    email: Mapped[str]  # stored lower-case
    name: Mapped[str]
    role: Mapped[str]  # counselor | supervisor | admin
    counselor_id: Mapped[int | None]
    password_hash: Mapped[str | None]  # argon2id; None until set
    totp_secret: Mapped[str | None]  # base32; None: not enrolled
    totp_last_step: Mapped[int | None]  # a code is good only once
    totp_pending: Mapped[str | None]  # shown, not yet confirmed
    active: Mapped[bool]
    failed_attempts: Mapped[int]
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Bumped on password change or disable: every session of an older generation is void.
    generation: Mapped[int]
    last_sign_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class StaffSession(Base):
    """A signed-in browser; the cookie holds only a random token whose hash is kept here."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    # False while the password is right but the second factor is still owed.
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))


class LoginFailure(Base):
    """One failed sign-in from a client address (the per-address rate limit counts these)."""

    __tablename__ = "staff_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SetPasswordToken(Base):
    """A one-time welcome / reset link: only its hash is stored; single use, short-lived."""

    __tablename__ = "staff_password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppSecret(Base):
    """A generated secret shared by every process (the console cookie key when none is set)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
