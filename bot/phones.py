"""Phone numbers: E.164 normalisation, channel addresses and log-safe masking."""

from __future__ import annotations

import phonenumbers

CHANNELS = ("sms", "whatsapp")


class InvalidPhone(ValueError):
    """The text is not a phone number we can text."""


def normalize_phone(raw: str, region: str = "US") -> str:
    """Return `raw` as an E.164 number (+15551234567) or raise InvalidPhone."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        raise InvalidPhone(f"not a phone number: {raw!r}")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def split_address(address: str) -> tuple[str, str]:
    """Split a Twilio address ("whatsapp:+1555..." or "+1555...") into (channel, E.164 phone)."""
    text = (address or "").strip()
    channel = "sms"
    if text.lower().startswith("whatsapp:"):
        channel, text = "whatsapp", text.split(":", 1)[1]
    return channel, normalize_phone(text)


def to_address(phone: str, channel: str) -> str:
    """The Twilio `To`/`From` address for a phone on a channel."""
    return f"whatsapp:{phone}" if channel == "whatsapp" else phone


def mask(phone: str | None) -> str:
    """A log-safe form of a number: country code and last two digits only."""
    if not phone:
        return "-"
    digits = phone.split(":")[-1]
    if len(digits) <= 4:
        return "***"
    return f"{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"
