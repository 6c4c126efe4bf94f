"""Signing staff in and out: failures, lockout, rate limit, server-side sessions, TOTP."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.console.passwords import verify_password
from bot.models import LoginFailure, StaffAccount, StaffSession
from bot.services.staff import find_staff, token_hash

LOCK_AFTER = 5  # failed sign-ins in a row lock the account...
LOCK_FOR = timedelta(minutes=15)  # ...for this long
ADDRESS_LIMIT = 20  # failures from one client address within ADDRESS_WINDOW: refuse more tries
ADDRESS_WINDOW = timedelta(minutes=15)
TOUCH_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password check: `account` when it succeeded, else why it failed."""

    account: StaffAccount | None
    outcome: str  # ok | wrong | locked | rate_limited | no_password | disabled


def actor_of(account: StaffAccount) -> str:
    """The audit actor string for a staff account."""
    return f"console:{account.id}"


def rate_limited(session: Session, address: str, *, now: datetime) -> bool:
    """True when this client address failed too often lately."""
    count = session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.address == address, LoginFailure.at > now - ADDRESS_WINDOW))
    return (count or 0) >= ADDRESS_LIMIT


def check_password(
    session: Session, email: str, password: str, *, address: str, now: datetime,
) -> SignIn:
    """Check a sign-in; count failures, lock after LOCK_AFTER, audit every outcome."""
    address = (address or "unknown")[:64]
    if rate_limited(session, address, now=now):
        audit.record(session, "staff.sign_in_refused", now=now, actor=f"address:{address}",
                     reason="rate_limited")
        return SignIn(None, "rate_limited")
    account = find_staff(session, email)
    if account is not None and session.get_bind().dialect.name == "postgresql":
        session.refresh(account, with_for_update=True)  # two workers must not lose a failure
    good = verify_password(account.password_hash if account else None, password)
    if account is None or not account.active or account.password_hash is None:
        outcome = "wrong" if account is None else (
            "disabled" if not account.active else "no_password")
        _failed(session, account, address, now, outcome)
        return SignIn(None, outcome)
    if account.locked_until is not None and account.locked_until > now:
        _failed(session, account, address, now, "locked")
        return SignIn(None, "locked")
    if not good:
        account.failed_attempts = (account.failed_attempts or 0) + 1
        _failed(session, account, address, now, "wrong")
        if account.failed_attempts >= LOCK_AFTER:
            account.locked_until, account.failed_attempts = now + LOCK_FOR, 0
            audit.record(session, "staff.locked", now=now, actor=actor_of(account),
                         subject_type="staff", subject_id=account.id, staff_id=account.id,
                         minutes=int(LOCK_FOR.total_seconds() // 60))
            return SignIn(None, "locked")
        return SignIn(None, "wrong")
    account.failed_attempts, account.locked_until = 0, None
    return SignIn(account, "ok")


def _failed(session: Session, account: StaffAccount | None, address: str, now: datetime,
            outcome: str) -> None:
    session.add(LoginFailure(address=address, at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - ADDRESS_WINDOW * 4))
    audit.record(session, "staff.sign_in_failed", now=now,
                 actor=actor_of(account) if account else f"address:{address}",
                 subject_type="staff" if account else None,
                 subject_id=account.id if account else None,
                 staff_id=account.id if account else None, reason=outcome)


def start_session(
    session: Session, account: StaffAccount, *, address: str | None, now: datetime,
    verified: bool,
) -> str:
    """A new server-side session; returns the raw token the cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(
        token_hash=token_hash(token), staff_id=account.id, generation=account.generation,
        verified=verified, created_at=now, last_seen_at=now, address=(address or "")[:64] or None,
    ))
    if verified:
        _signed_in(session, account, now)
    return token


def _signed_in(session: Session, account: StaffAccount, now: datetime) -> None:
    account.last_sign_in_at = now
    audit.record(session, "staff.signed_in", now=now, actor=actor_of(account),
                 subject_type="staff", subject_id=account.id, staff_id=account.id)


def mark_verified(session: Session, row: StaffSession, account: StaffAccount,
                  *, now: datetime) -> None:
    """The second factor was given: the session becomes a full sign-in."""
    row.verified, row.last_seen_at = True, now
    _signed_in(session, account, now)


def load_session(
    session: Session, token: str | None, *, now: datetime, idle: timedelta, absolute: timedelta,
    touch: bool = True,
) -> tuple[StaffSession, StaffAccount] | None:
    """The live session for a cookie token and its account; ends it when it has expired."""
    if not token:
        return None
    row = session.scalar(select(StaffSession).where(
        StaffSession.token_hash == token_hash(token), StaffSession.ended_at.is_(None)))
    if row is None:
        return None
    account = session.get(StaffAccount, row.staff_id)
    if account is None or not account.active or row.generation != account.generation:
        row.ended_at = now
        return None
    expired = ("idle" if now - row.last_seen_at >= idle else
               "absolute" if now - row.created_at >= absolute else None)
    if expired:
        row.ended_at = now
        audit.record(session, "staff.signed_out", now=now, actor=actor_of(account),
                     subject_type="staff", subject_id=account.id, staff_id=account.id,
                     reason=f"{expired}_timeout")
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, account


def end_session(session: Session, token: str | None, *, now: datetime, reason: str) -> None:
    """Sign one session out (audited)."""
    if not token:
        return
    row = session.scalar(select(StaffSession).where(
        StaffSession.token_hash == token_hash(token), StaffSession.ended_at.is_(None)))
    if row is None:
        return
    row.ended_at = now
    audit.record(session, "staff.signed_out", now=now, actor=f"console:{row.staff_id}",
                 subject_type="staff", subject_id=row.staff_id, staff_id=row.staff_id,
                 reason=reason)


def code_failed(session: Session, row: StaffSession, account: StaffAccount, *,
                address: str | None, now: datetime) -> bool:
    """A wrong second-factor code: counts like a wrong password; True when it locked the account
    (and ended this half-signed-in session)."""
    account.failed_attempts = (account.failed_attempts or 0) + 1
    _failed(session, account, (address or "unknown")[:64], now, "wrong_code")
    if account.failed_attempts < LOCK_AFTER:
        return False
    account.locked_until, account.failed_attempts = now + LOCK_FOR, 0
    row.ended_at = now
    audit.record(session, "staff.locked", now=now, actor=actor_of(account), subject_type="staff",
                 subject_id=account.id, staff_id=account.id,
                 minutes=int(LOCK_FOR.total_seconds() // 60))
    return True


def totp_for(secret: str, *, account: StaffAccount, issuer: str) -> pyotp.TOTP:
    """The TOTP generator for a secret, named for authenticator apps."""
    return pyotp.TOTP(secret, name=account.email, issuer=issuer)


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def check_totp(account: StaffAccount, code: str, *, now: datetime,
               secret: str | None = None) -> bool:
    """True for a current code (±30 s) not used before; remembers the step it used."""
    secret = secret or account.totp_secret
    code = "".join((code or "").split())
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            if account.totp_last_step is not None and candidate <= account.totp_last_step:
                return False
            account.totp_last_step = candidate
            return True
    return False
