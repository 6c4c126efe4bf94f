"""Twilio REST client that can be pointed at another base URL (a fake or a mock server).

What the official ``twilio`` library (9.x) raises, so callers know what to catch:

- An HTTP answer outside 2xx -> ``twilio.base.exceptions.TwilioRestException`` with ``.status``
  (the HTTP status) and ``.code`` (Twilio's error code from the JSON body, e.g. 21610; when the
  body has no ``code`` or is not JSON the library puts the HTTP status there, e.g. 500). An
  RFC 9457 body (``type``, ``title``, ``status``, ``code``) becomes ``TwilioServiceException``
  instead, which is *not* a ``TwilioRestException``; both derive from ``TwilioException``.
- Transport failures are not wrapped at all: they are ``requests`` exceptions, all subclasses of
  ``requests.exceptions.RequestException``.
  - no answer within ``timeout`` after connecting -> ``requests.exceptions.ReadTimeout``
    (a ``requests.exceptions.Timeout``). The request was sent: Twilio may have accepted the
    message, so a retry can send it twice.
  - connect timed out -> ``requests.exceptions.ConnectTimeout`` (both ``Timeout`` and
    ``ConnectionError``); nothing was sent.
  - refused, DNS failure, or the server closed the socket without answering ->
    ``requests.exceptions.ConnectionError``. After a dropped connection the request may have
    been received, so the outcome is unknown.
"""

from __future__ import annotations

import re
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

DEFAULT_BASE_URL = "https://api.twilio.com"

_TWILIO_PREFIX = re.compile(r"^https://[A-Za-z0-9.-]*\.twilio\.com(?::\d+)?(?=/|\?|$)", re.I)


def rewrite_url(url: str, base_url: str) -> str:
    """Return url with any https://*.twilio.com prefix replaced by base_url."""
    if _TWILIO_PREFIX.match(base_url):
        return url
    return _TWILIO_PREFIX.sub(lambda _: base_url.rstrip("/"), url, count=1)


class BaseUrlHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends every https://*.twilio.com request to base_url instead."""

    def __init__(self, base_url: str, timeout: float = 10.0, **kwargs: Any):
        """Build the client; kwargs go to TwilioHttpClient (pool_connections, max_retries...)."""
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url.rstrip("/")
        if self.session is not None and self.base_url.startswith("http://"):
            # The parent tunes only the https:// adapter; give a plain-http target the same pool.
            self.session.mount("http://", self.session.get_adapter("https://"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request to base_url, keeping the path and query of url."""
        return super().request(method, rewrite_url(url, self.base_url), *args, **kwargs)


def make_client(
    account_sid: str,
    auth_token: str,
    base_url: str,
    timeout: float = 10.0,
) -> Client:
    """Return a twilio Client whose requests go to base_url with the given timeout (seconds)."""
    http_client = BaseUrlHttpClient(base_url=base_url, timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)
