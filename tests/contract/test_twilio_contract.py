"""Message creates, as the bot sends them, against Prism serving Twilio's OpenAPI spec."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.twilio_http import make_client

from . import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    SKIP_REASON,
    last_response_text,
    prism_url,
)

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(prism_url() is None, reason=SKIP_REASON),
]

CALLBACK = "https://bot.example.org/twilio/status"


@pytest.fixture
def client() -> Client:
    """The official client pointed at Prism."""
    url = prism_url()
    assert url is not None
    return make_client(ACCOUNT_SID, AUTH_TOKEN, url, timeout=10.0)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(
            {
                "to": "+15551230001",
                "from_": "+15005550006",
                "body": "Check-in time",
                "status_callback": CALLBACK,
            },
            id="from-number",
        ),
        pytest.param(
            {
                "to": "+15551230001",
                "messaging_service_sid": MESSAGING_SERVICE_SID,
                "body": "Hora de su registro",
                "status_callback": CALLBACK,
            },
            id="messaging-service",
        ),
        pytest.param(
            {
                "to": "whatsapp:+15551230001",
                "from_": "whatsapp:+15005550006",
                "body": "Check-in time",
                "status_callback": CALLBACK,
            },
            id="whatsapp",
        ),
    ],
)
def test_spec_accepts_the_bots_creates(client: Client, params: dict) -> None:
    """Prism answers 201 to each parameter combination the sender uses."""
    try:
        message = client.messages.create(**params)
    except TwilioRestException as error:
        pytest.fail(f"Prism rejected {params}: {error.status} {last_response_text(client)}")

    assert message.sid.startswith("SM")
    last = client.http_client._test_only_last_response
    assert last is not None and last.status_code == 201


@pytest.mark.parametrize(
    ("account_sid", "params", "complaint"),
    [
        pytest.param("XX123", {"from_": "+15005550006"}, "accountsid", id="bad-account-sid"),
        pytest.param(
            ACCOUNT_SID,
            {"messaging_service_sid": "MG123"},
            "MessagingServiceSid",
            id="bad-messaging-service-sid",
        ),
        pytest.param(
            ACCOUNT_SID,
            {"from_": "+15005550006", "status_callback": "/twilio/status"},
            "StatusCallback",
            id="relative-status-callback",
        ),
    ],
)
def test_spec_rejects_invalid_creates(
    client: Client, account_sid: str, params: dict, complaint: str
) -> None:
    """Prism answers 422 to a create the spec forbids, so this check can fail."""
    messages = client.api.v2010.accounts(account_sid).messages

    with pytest.raises(TwilioRestException) as raised:
        messages.create(to="+15551230001", body="Check-in time", **params)

    assert raised.value.status == 422
    assert complaint.lower() in last_response_text(client).lower()
