"""Password rules (NIST SP 800-63B) and argon2id hashing."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # long enough for any passphrase, short enough to bound hashing work

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both answers take the same time.

    Made on first use: hashing costs ~0.1 s, which every `iopbot` command paid at import.
    """
    return _hasher.hash("not-a-real-password-just-for-timing")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-case."""
    text = resources.files("bot.console").joinpath("data/common_passwords.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why `password` is refused (one sentence), or None when it is acceptable.

    Length and a list of known-bad passwords only: no composition rules (800-63B 5.1.1.2).
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (a few words you'll remember work well)."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) == 1:
        return "That password is on the list of commonly used ones; choose another."
    if email and lowered == email.lower():
        return "Don't use your email address as the password."
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; spends the same work when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
