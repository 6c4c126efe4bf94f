"""Phone numbers: E.164 normalisation, WhatsApp addresses, masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.phones import InvalidPhone, normalize_phone, split_address, to_address


@pytest.mark.parametrize(
    "raw, e164",
    [("(415) 555-0123", "+14155550123"), ("415.555.0123", "+14155550123"),
     ("+1 415 555 0123", "+14155550123"), (" 4155550123 ", "+14155550123"),
     ("1-415-555-0123", "+14155550123"), ("+44 20 7946 0958", "+442079460958"),
     ("+52 55 1234 5678", "+525512345678")],
)
def test_normalises_to_e164_with_us_default(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "   ", "hello", "123", "555-0123", "+1 415 555 01234567",
                                 "+999 1234567", "1" * 50])
def test_rejects_what_is_not_a_phone_number(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


@pytest.mark.parametrize(
    "address, expected",
    [("+14155550123", ("sms", "+14155550123")),
     ("whatsapp:+14155550123", ("whatsapp", "+14155550123")),
     ("WhatsApp:+1 415 555 0123", ("whatsapp", "+14155550123"))],
)
def test_split_address(address, expected):
    assert split_address(address) == expected
    channel, phone = expected
    assert split_address(to_address(phone, channel)) == expected


@given(st.text(max_size=60))
def test_normalize_never_raises_anything_but_invalid_phone(text):
    try:
        result = normalize_phone(text)
    except InvalidPhone:
        return
    assert result.startswith("+") and result[1:].isdigit()
