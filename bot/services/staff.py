"""Staff console accounts: create, set-password links, set a password, disable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.console.passwords import hash_password, password_problem
from bot.models import Counselor, SetPasswordToken, StaffAccount, StaffSession
from bot.vocabulary import STAFF_ROLES

LINK_VALID = timedelta(hours=72)


class StaffError(ValueError):
    """A staff-account request that cannot be done; the message is one line for the user."""


def token_hash(token: str) -> str:
    """The stored form of a random token (links and session cookies)."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """Trimmed, lower-case email; StaffError when it is not plausibly an address."""
    value = (email or "").strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:
        raise StaffError(f"not an email address: {email!r}")
    return value


def find_staff(session: Session, email: str) -> StaffAccount | None:
    """The account with this email (any case), or None."""
    try:
        address = normalize_email(email)
    except StaffError:
        return None
    return session.scalar(select(StaffAccount).where(StaffAccount.email == address))


def create_staff(
    session: Session, *, email: str, name: str, role: str, counselor: Counselor | None,
    now: datetime, actor: str = "cli",
) -> StaffAccount:
    """A new, active account without a password (it gets a set-password link)."""
    address = normalize_email(email)
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of {', '.join(STAFF_ROLES)}")
    if not name.strip():
        raise StaffError("name must not be empty")
    if role == "counselor" and counselor is None:
        raise StaffError("a counselor account needs --counselor PHONE (their counselor row)")
    if find_staff(session, address) is not None:
        raise StaffError(f"{address} already has an account")
    account = StaffAccount(
        email=address, name=name.strip(), role=role,
        counselor_id=counselor.id if counselor else None, active=True, failed_attempts=0,
        generation=1, created_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(session, "staff.created", now=now, actor=actor, subject_type="staff",
                 subject_id=account.id, role=role)
    return account


def issue_set_password_link(session: Session, account: StaffAccount, *, now: datetime) -> str:
    """A new single-use token (valid 72 h); only its hash is stored. Returns the raw token."""
    token = secrets.token_urlsafe(32)
    session.add(SetPasswordToken(token_hash=token_hash(token), staff_id=account.id,
                                 created_at=now, expires_at=now + LINK_VALID))
    return token


def redeem_link(session: Session, token: str, *, now: datetime) -> SetPasswordToken | None:
    """The unused, unexpired link row for `token` (locked), or None."""
    stmt = select(SetPasswordToken).where(SetPasswordToken.token_hash == token_hash(token))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    account = session.get(StaffAccount, row.staff_id)
    return row if account is not None and account.active else None


def set_password(
    session: Session, account: StaffAccount, password: str, *, now: datetime, actor: str,
) -> None:
    """Check and store a new password; every existing session of the account ends."""
    problem = password_problem(password, email=account.email)
    if problem:
        raise StaffError(problem)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    account.failed_attempts, account.locked_until = 0, None
    end_all_sessions(session, account, now=now)
    audit.record(session, "staff.password_set", now=now, actor=actor, subject_type="staff",
                 subject_id=account.id, staff_id=account.id)


def disable_staff(session: Session, account: StaffAccount, *, now: datetime, actor: str) -> None:
    """Disable an account: it cannot sign in and its sessions end now."""
    account.active = False
    end_all_sessions(session, account, now=now)
    session.execute(update(SetPasswordToken).where(
        SetPasswordToken.staff_id == account.id, SetPasswordToken.used_at.is_(None),
    ).values(used_at=now))
    audit.record(session, "staff.disabled", now=now, actor=actor, subject_type="staff",
                 subject_id=account.id, staff_id=account.id)


def enable_staff(session: Session, account: StaffAccount, *, now: datetime, actor: str) -> None:
    """Re-enable a disabled account (its lockout cleared; old sessions stay ended)."""
    account.active, account.failed_attempts, account.locked_until = True, 0, None
    audit.record(session, "staff.enabled", now=now, actor=actor, subject_type="staff",
                 subject_id=account.id, staff_id=account.id)


def end_all_sessions(session: Session, account: StaffAccount, *, now: datetime) -> None:
    """Sign out everywhere: bump the generation and close every open session row."""
    account.generation = (account.generation or 1) + 1
    session.execute(update(StaffSession).where(
        StaffSession.staff_id == account.id, StaffSession.ended_at.is_(None),
    ).values(ended_at=now))
