"""Single-use confirmation codes: random, shown once, stored only as a salted hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

CODE_DIGITS = 6
# "YES 123456" / "yes, 123 456" / "SI 123456" / "sí 123456": the word, then the digits.
YES_CODE = re.compile(r"^\s*(?:yes|y|si|sí)[\s,.:;-]+((?:\d[\s-]?){5}\d)\s*[.!]?\s*$", re.I)


def new_code() -> str:
    """A fresh random code of CODE_DIGITS digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str, salt: str | None = None) -> str:
    """'salt$hexdigest' for `code`; the code itself is never stored."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
    return f"{salt}${digest}"


def code_matches(code: str, stored: str) -> bool:
    """True when `code` is the one hashed into `stored`."""
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(hash_code(code, salt), stored)


def code_in(text: str) -> str | None:
    """The digits of a "YES <code>" text, else None (a bare YES is not consent)."""
    match = YES_CODE.match(text or "")
    return re.sub(r"\D", "", match.group(1)) if match else None
