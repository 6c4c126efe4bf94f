"""Sends through Twilio's REST API using the official library."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from requests.exceptions import RequestException
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)

from bot.phones import mask
from bot.senders.base import SendError
from bot.settings import Settings

log = logging.getLogger(__name__)
# A message for an outbox row cannot predate the row; allow for clock skew with Twilio only,
# so yesterday's identically worded reminder is not taken for today's.
RECONCILE_SKEW = timedelta(minutes=10)


class TwilioTransport:
    """Creates messages with `client.messages.create` against TWILIO_API_BASE_URL."""

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @functools.cached_property
    def client(self):
        """The Twilio REST client, made on first use."""
        # Importing twilio.rest costs ~0.2 s, and most `iopbot` commands never send a text.
        from bot.twilio_http import make_client

        settings = self.settings
        return make_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url,
            timeout=settings.send_timeout,
        )

    def warm(self) -> None:
        """Import the Twilio library's Messages API now, not on the first page.

        Importing it costs ~0.2 s of CPU (seconds on a busy machine); a web worker or the clock
        paying that on its first crisis page delays that page. Called before gunicorn forks, so
        the workers share the imported modules; the client itself (its HTTP connections) is
        still made in each process on first use.
        """
        from bot.twilio_http import make_client

        make_client("AC" + "0" * 32, "warm", "http://127.0.0.1").messages  # noqa: B018

    def _sender_params(self, to: str) -> dict[str, str]:
        if self.settings.twilio_messaging_service_sid:
            return {"messaging_service_sid": self.settings.twilio_messaging_service_sid}
        sender = self.settings.twilio_from_number or ""
        if to.startswith("whatsapp:") and not sender.startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        return {"from_": sender}

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        """Create the message; map every failure to SendError."""
        params = {"to": to, "body": body, **self._sender_params(to)}
        if status_callback:
            params["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**params)
        except TwilioRestException as exc:
            code = exc.code if exc.code != exc.status else None  # no code: library repeats status
            raise SendError(str(exc.msg)[:200], code=code, status=exc.status) from None
        except TwilioServiceException as exc:
            raise SendError(str(exc.title)[:200], code=exc.code, status=exc.status) from None
        except RequestException as exc:
            # A read timeout or dropped connection may come after Twilio accepted the message.
            raise SendError(type(exc).__name__, transient=True) from None
        except TwilioException as exc:
            raise SendError(str(exc)[:200], transient=True) from None
        log.info("twilio accepted message %s to %s", message.sid, mask(to))
        return message.sid

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """Look for a message Twilio already accepted (reconciles a send cut off mid-way)."""
        try:
            found = self.client.messages.list(
                to=to, date_sent_after=since - RECONCILE_SKEW, limit=50
            )
        except (TwilioException, RequestException) as exc:
            raise SendError(f"cannot list messages: {type(exc).__name__}", transient=True) from None
        for message in found:
            if (message.body or "") == body:
                return message.sid
        return None
