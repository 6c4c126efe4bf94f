"""What to do when Twilio refuses or fails a message (DOMAIN.md's error table), as pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

OPTED_OUT = {21610}
INVALID = {21211: "invalid", 21614: "not_mobile", 30006: "landline"}
RETRY_THEN_FLAG = {30003: "unreachable"}
FLAG_ONLY = {30005: "unknown_handset", 30007: "carrier_filtered"}
RATE_LIMITED = {20429, 21611, 30001}
SENDER_BLOCKED = {30032: "unverified_toll_free", 30034: "unregistered_10dlc"}
WHATSAPP_WINDOW = {63016: "whatsapp_template_needed"}


@dataclass(frozen=True)
class ErrorAction:
    """The sender's response to one failure."""

    retry: bool  # try again later with backoff
    opt_out: bool = False  # mark the number opted out
    flag: str | None = None  # flag the number (or the sender) for staff
    admin: bool = False  # the sending number itself is blocked: tell an admin


def classify_error(code: int | None, status: int | None, transient: bool = False) -> ErrorAction:
    """Decide retry/fail/flag from Twilio's error code, the HTTP status, or a transport failure."""
    if code in OPTED_OUT:
        return ErrorAction(retry=False, opt_out=True)
    if code in INVALID:
        return ErrorAction(retry=False, flag=INVALID[code])
    if code in RETRY_THEN_FLAG:
        return ErrorAction(retry=True, flag=RETRY_THEN_FLAG[code])
    if code in FLAG_ONLY:
        return ErrorAction(retry=False, flag=FLAG_ONLY[code])
    if code in SENDER_BLOCKED:
        return ErrorAction(retry=False, flag=SENDER_BLOCKED[code], admin=True)
    if code in WHATSAPP_WINDOW:
        return ErrorAction(retry=False, flag=WHATSAPP_WINDOW[code])
    if transient or code in RATE_LIMITED or status == 429 or (status or 0) >= 500:
        return ErrorAction(retry=True)
    return ErrorAction(retry=False)


def backoff(attempts: int, base_seconds: float = 30.0, cap_seconds: float = 3600.0) -> timedelta:
    """Exponential backoff after `attempts` tries: 30 s, 60 s, 120 s, ... capped at an hour."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(cap_seconds, base_seconds * (2 ** min(exponent, 20))))
